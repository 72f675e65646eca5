// Surveys: charts on the results page (Chart.js, vendored), the builder's choice boxes,
// and a character counter on text answers. Data comes from data- attributes (CSP: no
// inline scripts). Every chart also has a table next to it and prints its values.
(function () {
  "use strict";

  function readJSON(element, name) {
    try { return JSON.parse(element.dataset[name] || "[]"); } catch (e) { return []; }
  }

  // Print each bar's or point's value on the chart, so it reads without colour or hover.
  const valueLabels = {
    id: "voiceValueLabels",
    afterDatasetsDraw(chart) {
      const ctx = chart.ctx;
      ctx.save();
      ctx.fillStyle = "#1f2937";
      ctx.font = "12px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "bottom";
      chart.data.datasets.forEach((dataset, index) => {
        chart.getDatasetMeta(index).data.forEach((element, i) => {
          const value = dataset.data[i];
          if (value === null || value === undefined) return;
          const text = chart.config.type === "line" && value > 0 ? "+" + value : String(value);
          ctx.fillText(text, element.x, element.y - 4);
        });
      });
      ctx.restore();
    },
  };

  // NPS bars: detractors, passives, promoters differ by shade and by pattern of border,
  // and the table names each group.
  function barColours(kind, labels) {
    if (kind !== "nps") return { background: "#3b6fd8", border: "#1e3a8a" };
    const background = labels.map((l) => (+l >= 9 ? "#15803d" : +l >= 7 ? "#9ca3af" : "#b91c1c"));
    return { background, border: "#111827" };
  }

  function drawCharts() {
    if (typeof window.Chart === "undefined") return;
    document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const type = canvas.dataset.chart;
      const labels = readJSON(canvas, "labels");
      const values = readJSON(canvas, "values");
      const colours = barColours(canvas.dataset.kind, labels);
      const dataset = type === "line"
        ? { label: canvas.dataset.label || "", data: values, borderColor: "#1d4ed8",
            backgroundColor: "#1d4ed8", pointStyle: "rectRot", pointRadius: 5, spanGaps: false }
        : { label: canvas.dataset.label || "", data: values, backgroundColor: colours.background,
            borderColor: colours.border, borderWidth: 1 };
      const scales = type === "line"
        ? { y: { min: -100, max: 100, title: { display: true, text: "NPS" } } }
        : { y: { beginAtZero: true, ticks: { precision: 0 }, grace: "10%",
                 title: { display: true, text: "Answers" } } };
      new window.Chart(canvas, {
        type,
        data: { labels, datasets: [dataset] },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          layout: { padding: { top: 18 } },
          plugins: { legend: { display: false } },
          scales,
        },
        plugins: [valueLabels],
      });
      canvas.dataset.rendered = "true";
    });
  }

  // Builder: show the choices box only for choice kinds (it stays visible without JS).
  function choiceBoxes() {
    document.querySelectorAll("form[data-question-form]").forEach((form) => {
      const kind = form.querySelector("select[name$='kind']");
      const box = form.querySelector("[data-choices-box]");
      if (!kind || !box) return;
      const sync = () => { box.hidden = !["single_choice", "multi_choice"].includes(kind.value); };
      kind.addEventListener("change", sync);
      sync();
    });
  }

  // Text answers: how many characters are left.
  function counters() {
    document.querySelectorAll("textarea[data-counter]").forEach((area) => {
      const note = document.createElement("small");
      note.className = "muted char-count";
      note.setAttribute("aria-live", "polite");
      area.insertAdjacentElement("afterend", note);
      const update = () => {
        const left = (area.maxLength || 5000) - area.value.length;
        note.textContent = left < 500 ? left + " characters left" : "";
      };
      area.addEventListener("input", Voice.debounce(update, 150));
      update();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    drawCharts();
    choiceBoxes();
    counters();
  });
})();
