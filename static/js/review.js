// The review session: Space (or the button) reveals the answer, 1-4 grade. Without JavaScript the
// Reveal link reloads the page with the answer shown and the grade buttons are plain form buttons.
(function () {
  "use strict";
  var card = document.querySelector("[data-review-card]");
  var summary = document.querySelector("[data-autofocus]");
  if (summary) summary.focus();
  if (!card) return;
  var reveal = card.querySelector("[data-reveal]");
  var answer = document.getElementById("card-answer");
  var form = card.querySelector("[data-grade-form]");
  var sent = false;

  function revealed() { return !answer.hidden; }

  function show() {
    if (revealed()) return;
    answer.hidden = false;
    form.hidden = false;
    reveal.setAttribute("aria-expanded", "true");
    reveal.parentElement.hidden = true;
    // Focus the answer's heading: a screen reader reads on from there, and the grade buttons follow it.
    document.getElementById("answer-heading").focus();
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  if (reveal) {
    reveal.addEventListener("click", function (event) { event.preventDefault(); show(); });
  }
  // One grade per card: a second click (or key) while the first is on its way is ignored here, and the
  // server counts a repeat once anyway (the form's token names the card's version).
  form.addEventListener("submit", function (event) {
    if (sent) { event.preventDefault(); return; }
    sent = true;
    form.setAttribute("aria-busy", "true");
  });

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    if (event.key === " " && !revealed()) {
      // On a focused button or link Space already activates it; elsewhere it would scroll.
      event.preventDefault();
      show();
      return;
    }
    if (revealed() && /^[1-4]$/.test(event.key)) {
      var button = form.querySelector('button[data-key="' + event.key + '"]');
      if (button) { event.preventDefault(); form.requestSubmit(button); }
    }
  });

  if (revealed()) document.getElementById("answer-heading").focus();
  else document.getElementById("card-heading").focus();
})();
