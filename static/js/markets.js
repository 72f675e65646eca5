// Markets: the live quote of the trade panel, the price-history chart, the implied subsidy.
// No inline scripts (CSP): data comes from data- attributes; calls go through Voice.api.
(function () {
  "use strict";

  const points = (n) => Number(n).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const pct = (p) => (p * 100).toFixed(1) + "%";

  // What is wrong with the amount typed, or null: the quote says it, the button waits.
  function amountProblem(raw) {
    if (/^[+-]?\d*,\d*$/.test(raw)) return "Use a point for decimals: " + raw.replace(",", ".") + ", not " + raw + ".";
    const number = Number(raw);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw) || !isFinite(number)) {
      return "“" + raw + "” is not a number: type an amount like 10 or 2.5.";
    }
    if (number <= 0) return "Type an amount above zero.";
    return null;
  }

  function setupTrade(form) {
    const out = document.getElementById("quote");
    const amount = form.querySelector("#amount");
    const maxCost = form.querySelector("#max_cost");
    const minProceeds = form.querySelector("#min_proceeds");
    const submit = form.querySelector("#trade-submit");
    const held = JSON.parse(form.dataset.held || "{}");
    const balance = Number(form.dataset.balance || "0");
    const labels = {};
    form.querySelectorAll('input[name="outcome_id"]').forEach((input) => {
      labels[input.value] = input.parentElement.textContent.trim();
    });
    let ticket = 0;

    function choice(name) {
      const checked = form.querySelector('input[name="' + name + '"]:checked');
      return checked ? checked.value : null;
    }

    // The quote's sentence; the button waits while something is wrong (or missing).
    function say(text, isError, blocked) {
      out.textContent = text;
      out.classList.toggle("quote-error", Boolean(isError));
      if (submit) submit.disabled = Boolean(isError || blocked);
    }

    function overBalance(cost) {
      return "That costs " + points(cost) + " points, more than your balance of " + points(balance) + " points.";
    }

    // What the trader's own balance and holdings refuse, before asking for a price.
    function localProblem(action, outcome, number) {
      const mine = held[outcome] || 0;
      if (action === "buy_spend" && number > balance) {
        return "You cannot spend " + points(number) + " points: that is more than your balance of " + points(balance) + " points.";
      }
      if (action === "sell_shares" && !mine) return "You hold no shares of " + labels[outcome] + ".";
      if (action === "sell_shares" && number > mine) {
        return "You hold only " + mine.toFixed(6) + " shares of " + labels[outcome] + ".";
      }
      return null;
    }

    async function refresh() {
      const outcome = choice("outcome_id");
      const action = choice("action");
      const raw = (amount.value || "").trim();
      maxCost.value = "";
      minProceeds.value = "";
      amount.disabled = action === "sell_all";
      if (!outcome || !action) return;
      const params = new URLSearchParams({ outcome_id: outcome });
      if (action === "sell_all") {
        const mine = held[outcome] || 0;
        if (!mine) { say("You hold no shares of " + labels[outcome] + ".", true); return; }
        params.set("shares", String(-mine));
      } else {
        if (!raw) { say("Type an amount to see the price.", false, true); return; }
        const problem = amountProblem(raw) || localProblem(action, outcome, Number(raw));
        if (problem) { say(problem, true); return; }
        if (action === "buy_spend") params.set("spend", raw);
        else params.set("shares", action === "sell_shares" ? "-" + raw : raw);
      }
      const mine = ++ticket;
      out.setAttribute("aria-busy", "true");
      const { ok, data } = await Voice.api(form.dataset.quoteUrl + "?" + params.toString());
      if (mine !== ticket) return; // a newer keystroke has its own quote on the way
      out.removeAttribute("aria-busy");
      if (!ok) { say((data && data.error && data.error.message) || "No quote available.", true); return; }
      const label = labels[String(data.outcome_id)] || "this outcome";
      const shares = Math.abs(data.shares).toFixed(6);
      const after = pct(data.probability_after);
      if (data.cost >= 0) {
        if (data.cost > balance) {
          say(shares + " shares of " + label + ": " + overBalance(data.cost), true);
          return;
        }
        maxCost.value = data.cost.toFixed(2);
        say(shares + " shares of " + label + " cost " + points(data.cost) + " points (average " +
            data.average_price.toFixed(4) + " per share). " + label + " goes to " + after +
            ". Payout if " + label + " wins: " + points(data.payout_if_wins) + " points.");
      } else {
        minProceeds.value = (-data.cost).toFixed(2);
        say("Selling " + shares + " shares of " + label + " returns " + points(-data.cost) +
            " points (average " + data.average_price.toFixed(4) + " per share). " + label +
            " goes to " + after + ".");
      }
    }

    const later = Voice.debounce(refresh, 250);
    amount.addEventListener("input", later);
    form.addEventListener("change", later);
    if (amount.value || choice("action") === "sell_all") refresh();
  }

  function setupChart(canvas) {
    if (typeof window.Chart === "undefined") return;
    const data = JSON.parse(canvas.dataset.chart || "{}");
    const colours = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777",
      "#65a30d", "#475569", "#ea580c"];
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.outcomes.map((label, i) => ({
          label, data: data.series[i], borderColor: colours[i % colours.length],
          backgroundColor: colours[i % colours.length], pointRadius: 0, stepped: true, borderWidth: 2,
        })),
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } } },
      },
    });
  }

  function setupSubsidy(form) {
    const note = document.getElementById("implied-subsidy");
    const b = form.querySelector("#liquidity");
    const s = form.querySelector("#subsidy");
    const outcomes = form.querySelector("#outcomes");
    function update() {
      const n = outcomes.value.split("\n").filter((l) => l.trim()).length;
      if (n < 2 || n > 20) { note.textContent = "A market has 2 to 20 outcomes (" + n + " now)."; return; }
      const ln = Math.log(n);
      const bv = Number(b.value), sv = Number(s.value);
      if (b.value.trim() && bv > 0) {
        note.textContent = "With b = " + points(bv) + " and " + n + " outcomes the market maker can lose at most " +
          points(bv * ln) + " points (b · ln n).";
      } else if (s.value.trim() && sv > 0) {
        note.textContent = "A subsidy of " + points(sv) + " points over " + n + " outcomes gives b = " +
          points(Math.floor(sv / ln * 100) / 100) + " (subsidy / ln n, rounded down).";
      } else {
        note.textContent = "Give b or the subsidy.";
      }
    }
    [b, s, outcomes].forEach((el) => el.addEventListener("input", update));
    update();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("trade-form");
    if (form) setupTrade(form);
    const canvas = document.getElementById("price-chart");
    if (canvas) setupChart(canvas);
    const marketForm = document.getElementById("market-form");
    if (marketForm) setupSubsidy(marketForm);
  });
})();
