// Staff case page: "Use" on the saved-reply picker puts the template's text (filled in for
// this case by the server, in the option's data-text) into the reply box, without a reload.
// Without JavaScript the picker is a GET form (?template=<id>) that reloads the page with
// the reply box prefilled.
(function () {
  "use strict";

  function usePicked(event) {
    const picker = event.currentTarget;
    const select = picker.querySelector("select[name=template]");
    const reply = document.getElementById("reply");
    const option = select && select.selectedOptions[0];
    if (!option || !reply || option.dataset.text === undefined) return;
    event.preventDefault();
    reply.value = option.dataset.text;
    reply.dispatchEvent(new Event("input", { bubbles: true }));
    reply.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-template-picker]").forEach(function (picker) {
      picker.addEventListener("submit", usePicked);
    });
  });
})();
