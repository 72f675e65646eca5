// The ideas pages: vote without a reload, and similar ideas while a title is typed.
// Every form still works as a plain POST when this file does not run.
(function () {
  "use strict";
  if (!window.Voice) { return; }

  function setVoted(form, voted, count) {
    form.dataset.voted = voted ? "true" : "false";
    form.action = voted ? form.dataset.unvoteUrl : form.dataset.voteUrl;
    const button = form.querySelector("button");
    const label = form.querySelector("[data-vote-label]");
    const counter = form.querySelector("[data-vote-count]");
    if (counter) { counter.textContent = String(count); }
    if (label) { label.textContent = voted ? "Voted" : "Vote"; }
    if (button) {
      button.classList.toggle("voted", voted);
      button.setAttribute("aria-pressed", voted ? "true" : "false");
      // the button's name is its visible text plus this hidden part (WCAG "label in name")
      const forWhat = button.querySelector("[data-vote-for]");
      if (forWhat) {
        forWhat.textContent = (voted ? ": remove your vote for " : " for ") + forWhat.dataset.title;
      }
    }
  }

  function wireVote(form) {
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const button = form.querySelector("button");
      const error = form.querySelector("[data-vote-error]");
      const voted = form.dataset.voted === "true";
      if (button) { button.disabled = true; }
      if (error) { error.textContent = ""; }
      try {
        const result = await Voice.api("/api/v1/ideas/" + form.dataset.ideaId + "/vote",
                                       { method: voted ? "DELETE" : "POST" });
        if (result.ok && result.data) {
          setVoted(form, result.data.voted, result.data.vote_count);
        } else if (result.status === 401) {
          form.submit(); // the plain form sends the visitor to sign in
        } else if (error) {
          error.textContent = (result.data && result.data.error && result.data.error.message) ||
            "That did not work. Try again.";
        }
      } catch (e) {
        form.submit();
      } finally {
        if (button) { button.disabled = false; }
      }
    });
  }

  function wireSimilar(input) {
    const box = document.getElementById("similar-ideas");
    if (!box) { return; }
    const list = box.querySelector("[data-similar-list]");
    const url = box.dataset.similarUrl;
    let latest = 0;

    const search = Voice.debounce(async function () {
      const q = input.value.trim();
      const ticket = ++latest;
      if (q.length < 3) { box.hidden = true; return; }
      const result = await Voice.api(url + "?limit=5&q=" + encodeURIComponent(q));
      if (ticket !== latest) { return; } // a newer keystroke answered first
      const items = (result.ok && result.data && result.data.items) || [];
      list.replaceChildren();
      for (const idea of items) {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = idea.url;
        link.textContent = idea.title;
        const meta = document.createElement("small");
        meta.textContent = idea.vote_count + (idea.vote_count === 1 ? " vote" : " votes") +
          " · " + idea.status.replace("_", " ");
        item.append(link, meta);
        list.append(item);
      }
      box.hidden = items.length === 0;
    }, 250);

    input.addEventListener("input", search);
    if (input.value.trim()) { search(); }
  }

  document.querySelectorAll("form[data-vote]").forEach(wireVote);
  document.querySelectorAll("input[data-similar]").forEach(wireSimilar);
})();
