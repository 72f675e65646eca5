// Irreversible actions ask first (issue 13). A form with data-confirm="<question>" (and
// data-confirm-detail, data-confirm-action) opens a <dialog> on submit instead of posting;
// the action button adds confirmed=yes and posts, Cancel or Escape close it and focus goes
// back to the button that opened it. Without this script the server answers the same
// question on a confirm page (voice/confirmation.py). No inline script or style: the CSP.
//
// data-confirm-choice="<field name>": "{choice}" in the texts becomes that field's current
// choice (a select's option label, an input's value); an empty choice posts unasked, so the
// server shows the field's error on the page.
(function () {
  "use strict";
  const CONFIRMED = "confirmed";
  let dialog = null;
  let asking = null; // the form the dialog asks about
  let opener = null; // the button that opened it, which gets the focus back
  let confirmed = false;

  function make(tag, attributes, text) {
    const element = document.createElement(tag);
    Object.keys(attributes).forEach((name) => element.setAttribute(name, attributes[name]));
    if (text) element.textContent = text;
    return element;
  }

  function build() {
    dialog = make("dialog", { "class": "confirm-dialog", "aria-labelledby": "confirm-dialog-title",
                              "aria-describedby": "confirm-dialog-detail" });
    const article = make("article", {});
    const title = make("h2", { "id": "confirm-dialog-title" });
    const detail = make("p", { "id": "confirm-dialog-detail" });
    const footer = make("footer", { "class": "confirm-actions" });
    const cancel = make("button", { "type": "button", "class": "secondary outline",
                                    "data-confirm-cancel": "" }, "Cancel");
    const act = make("button", { "type": "button", "class": "danger", "data-confirm-go": "" });
    footer.append(cancel, act);
    article.append(title, detail, footer);
    dialog.append(article);
    document.body.append(dialog);
    cancel.addEventListener("click", () => dialog.close());
    act.addEventListener("click", go);
    dialog.addEventListener("close", () => {
      if (!confirmed && opener && document.contains(opener)) opener.focus();
    });
  }

  function choiceOf(form) {
    const name = form.dataset.confirmChoice;
    if (!name) return null;
    const field = form.elements.namedItem(name);
    if (!field) return "";
    if (field.tagName === "SELECT") {
      const option = field.options[field.selectedIndex];
      return option ? option.text.trim() : "";
    }
    return String(field.value || "").trim();
  }

  function fill(text, choice) {
    return choice === null ? text : text.split("{choice}").join(choice);
  }

  function ask(form, submitter, choice) {
    if (!dialog) build();
    opener = submitter || form.querySelector("[type=submit]");
    asking = form;
    confirmed = false;
    dialog.querySelector("#confirm-dialog-title").textContent = fill(form.dataset.confirm, choice);
    const detail = dialog.querySelector("#confirm-dialog-detail");
    detail.textContent = fill(form.dataset.confirmDetail || "", choice);
    detail.hidden = !detail.textContent;
    const act = dialog.querySelector("[data-confirm-go]");
    act.textContent = form.dataset.confirmAction || (opener && opener.textContent.trim()) || "Confirm";
    dialog.showModal();
    dialog.querySelector("[data-confirm-cancel]").focus(); // the safe answer has the focus
  }

  function go() {
    const form = asking;
    confirmed = true;
    let flag = form.querySelector(`input[name="${CONFIRMED}"]`);
    if (!flag) {
      flag = make("input", { "type": "hidden", "name": CONFIRMED, "value": "yes" });
      form.append(flag);
    }
    dialog.close();
    if (opener && opener.form === form) form.requestSubmit(opener); else form.requestSubmit();
  }

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
    if (form.querySelector(`input[name="${CONFIRMED}"]`)) return; // answered: let it post
    const choice = choiceOf(form);
    if (choice === "") return; // nothing chosen: the server shows the field's error
    event.preventDefault();
    ask(form, event.submitter, choice);
  });

  // Back to a page kept in the browser's cache: its forms must ask again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll(`form[data-confirm] input[name="${CONFIRMED}"]`)
      .forEach((flag) => flag.remove());
  });
})();
