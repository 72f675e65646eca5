// Staff pages: charts (Chart.js 4, data from data- attributes), the rule form's hints, and
// the inbox's keys.
// Every chart has a table with the same figures beside it; series differ by line style and
// point shape as well as colour, so they read without colour.
(function () {
  "use strict";

  function readData(canvas) {
    try { return JSON.parse(canvas.dataset.chartData || "{}"); } catch (e) { return null; }
  }

  const builders = {
    scores(data) {
      return {
        type: "line",
        data: {
          labels: data.labels,
          datasets: [
            { label: "NPS (−100 to 100)", data: data.nps, borderColor: "#2563eb", pointStyle: "circle", spanGaps: true },
            { label: "CSAT (% satisfied)", data: data.csat, borderColor: "#15803d", borderDash: [6, 4], pointStyle: "rect", spanGaps: true },
          ],
        },
        options: { scales: { y: { suggestedMin: -100, suggestedMax: 100 } } },
      };
    },
    cases(data) {
      return {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [
            { label: "Open", data: data.open, backgroundColor: "#64748b" },
            { label: "Overdue", data: data.overdue, backgroundColor: "#b91c1c", borderColor: "#000", borderWidth: 2 },
          ],
        },
        options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
      };
    },
    loop(data) {
      return {
        type: "line",
        data: {
          labels: data.labels,
          datasets: [
            { label: "Closed with a reply (%)", data: data.reply_share, borderColor: "#15803d", pointStyle: "circle", yAxisID: "share", spanGaps: true },
            { label: "Median first response (h)", data: data.first_response, borderColor: "#2563eb", borderDash: [6, 4], pointStyle: "rect", yAxisID: "hours", spanGaps: true },
            { label: "Median time to close (h)", data: data.close, borderColor: "#d97706", borderDash: [2, 3], pointStyle: "triangle", yAxisID: "hours", spanGaps: true },
          ],
        },
        options: {
          scales: {
            share: { position: "left", min: 0, max: 100 },
            hours: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } },
          },
        },
      };
    },
  };

  function drawCharts() {
    if (typeof window.Chart === "undefined") return;
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const data = readData(canvas);
      const build = builders[canvas.dataset.chart];
      if (!data || !build) return;
      const config = build(data);
      config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { labels: { usePointStyle: true } } } }, config.options);
      new window.Chart(canvas, config);
    });
  }

  // Rule form: dim the conditions that do not apply to the chosen source.
  function ruleForm() {
    const form = document.querySelector("[data-rule-form]");
    if (!form) return;
    const source = form.querySelector("select[name=source]");
    const update = () => {
      form.querySelectorAll("[data-for-source]").forEach((part) => {
        part.classList.toggle("not-relevant", part.dataset.forSource !== source.value);
      });
    };
    source.addEventListener("change", update);
    update();
  }

  // The inbox (templates/admin/cases.html): j and k move from case to case, Enter opens the
  // case (its link has the focus), x ticks it for the bulk form. Keys typed into a field
  // are left alone. Without JavaScript the links, boxes and buttons work as they are.
  function inboxKeys() {
    const table = document.querySelector("table[data-inbox]");
    if (!table) return;
    const rows = Array.from(table.querySelectorAll("tr.case-row"));
    if (!rows.length) return;
    const help = document.getElementById("inbox-keys");
    if (help) help.hidden = false;
    let current = -1;
    const linkOf = (row) => row.querySelector("a[data-case-link]");
    const moveTo = (index) => {
      if (current >= 0) rows[current].classList.remove("is-current");
      current = Math.max(0, Math.min(rows.length - 1, index));
      const row = rows[current];
      row.classList.add("is-current");
      const link = linkOf(row);
      if (link) link.focus();
      row.scrollIntoView({ block: "nearest" });
    };
    // A click or Tab into a row makes it the current one, so the keys go on from there.
    table.addEventListener("focusin", (event) => {
      const row = event.target.closest("tr.case-row");
      const index = rows.indexOf(row);
      if (index >= 0 && index !== current) {
        if (current >= 0) rows[current].classList.remove("is-current");
        current = index;
        row.classList.add("is-current");
      }
    });
    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const typing = "input:not([type=checkbox]):not([type=radio]), textarea, select, [contenteditable]";
      if (event.target.closest(typing)) return;
      if (event.key === "j") { moveTo(current + 1); event.preventDefault(); }
      else if (event.key === "k") { moveTo(current < 0 ? 0 : current - 1); event.preventDefault(); }
      else if (event.key === "x" && current >= 0) {
        const box = rows[current].querySelector("input[type=checkbox]");
        if (box) box.checked = !box.checked;
        event.preventDefault();
      } else if (event.key === "Enter" && current >= 0 && document.activeElement === document.body) {
        const link = linkOf(rows[current]);
        if (link) link.click();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => { drawCharts(); ruleForm(); inboxKeys(); });
})();
