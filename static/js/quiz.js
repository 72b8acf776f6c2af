// Timed quiz page: server-synced countdown and autosave of every answer as it is given.
//
// The server is the clock: each save (and each return to the tab) answers with the seconds left,
// and the countdown restarts from that. Unsent answers wait in localStorage, so a reload or a
// dropped connection loses nothing; they are re-sent until the server acknowledges them.
(function () {
  "use strict";
  const form = document.getElementById("quiz-form");
  if (!form) return;

  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const timerEl = document.getElementById("quiz-remaining");
  const statusEl = document.getElementById("quiz-save-status");
  const storageKey = "quiz-pending:" + form.dataset.saveUrl;
  const RETRY_MS = 3000;
  const TYPING_DEBOUNCE_MS = 600;

  let deadline = Date.now() + Number(timerEl.dataset.remaining) * 1000;
  let pending = loadPending();           // slot -> value not yet acknowledged by the server
  const invalid = {};                    // slot -> why its current text is not an answer (not saved)
  const inFlight = new Set();
  const typingTimers = {};
  const secondsSpent = {};               // slot -> seconds this taker spent with it focused
  let focusedSlot = null, focusedSince = 0;
  let finishing = false;

  function loadPending() {
    try { return JSON.parse(localStorage.getItem(storageKey) || "{}"); } catch (e) { return {}; }
  }
  function storePending() {
    try { localStorage.setItem(storageKey, JSON.stringify(pending)); } catch (e) { /* private mode: memory only */ }
  }
  function setStatus(text) { statusEl.textContent = text; }
  // The site's JSON error: {"error": {"field": ..., "message": ...}}.
  function errorMessage(data) { return data && data.error ? data.error.message : ""; }
  function allSaved() {
    return Object.keys(pending).length === 0 && inFlight.size === 0 && Object.keys(typingTimers).length === 0;
  }
  // "All answers saved" only when it is true: an answer the server refused is not saved.
  function settledStatus() {
    const bad = Object.keys(invalid);
    if (bad.length) return "Question " + bad.join(", ") + (bad.length === 1 ? " needs" : " need") + " a fix — not saved";
    return allSaved() ? "All answers saved" : "Saving…";
  }

  // --- countdown -------------------------------------------------------------------------------
  function syncRemaining(seconds) { deadline = Date.now() + seconds * 1000; render(); }
  function render() {
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    const m = Math.floor(left / 60), s = left % 60;
    timerEl.textContent = m + ":" + String(s).padStart(2, "0");
    timerEl.dataset.remaining = String(left);
    timerEl.classList.toggle("is-low", left <= 60);
    if (left === 0) finish();
  }
  setInterval(render, 250);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible") return;
    fetch(form.dataset.stateUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (state) {
        if (state.status === "finished") { location.href = form.dataset.resultsUrl; return; }
        syncRemaining(state.remaining_seconds);
      }).catch(function () { /* offline: keep counting locally */ });
  });

  // --- reading answers from the form -----------------------------------------------------------
  function slotOf(el) { const li = el.closest(".quiz-slot"); return li ? li.dataset.slot : null; }
  function valueOf(slot) {
    const li = form.querySelector('.quiz-slot[data-slot="' + slot + '"]');
    // data-input comes from the slot's kind: one option, many options, or typed text. Option values
    // are opaque per-attempt tokens, sent back as they are.
    const input = li.dataset.input, name = "slot-" + slot;
    if (input === "one") {
      const checked = li.querySelector('input[name="' + name + '"]:checked');
      return checked ? checked.value : null;
    }
    if (input === "many") {
      return Array.from(li.querySelectorAll('input[name="' + name + '"]:checked')).map(function (i) { return i.value; });
    }
    return li.querySelector('[name="' + name + '"]').value;
  }
  // A typed answer that is refused says so to screen readers: aria-invalid, and the message as its
  // description (choices cannot be invalid, only unanswered).
  function markInvalid(li, errorEl, message) {
    errorEl.id = errorEl.id || li.id + "-error";
    li.querySelectorAll('input[type="text"], textarea').forEach(function (input) {
      if (message) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", errorEl.id);
      } else {
        input.removeAttribute("aria-invalid");
        input.removeAttribute("aria-describedby");
      }
    });
  }
  function showError(slot, message) {
    const li = form.querySelector('.quiz-slot[data-slot="' + slot + '"]');
    const el = li.querySelector(".quiz-field-error");
    markInvalid(li, el, message);
    el.textContent = message || "";
    el.hidden = !message;
    if (message) invalid[slot] = message; else delete invalid[slot];
    showAnswered();
  }
  // The server's rule (questions.quizzes.grading.parse_number), checked as the taker types so the
  // counter never calls "4 GiB" an answer, even for the moment before the server says so.
  const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
  function isNumberSlot(slot) {
    const li = form.querySelector('.quiz-slot[data-slot="' + slot + '"]');
    return li.querySelector('input[inputmode="decimal"]') !== null;
  }
  function numberProblem(slot) {
    if (!isNumberSlot(slot)) return "";
    const text = String(valueOf(slot)).trim().replace(/[,_ \u202f]/g, "");
    if (!text || (NUMBER_RE.test(text) && isFinite(Number(text)))) return "";
    return "The answer must be a number such as 1024, 2.5 or 1.2e9";
  }
  function isBlank(value) {
    return value === null || (typeof value === "string" && value.trim() === "") || (Array.isArray(value) && value.length === 0);
  }

  // --- time spent per question -----------------------------------------------------------------
  function noteFocusEnd() {
    if (focusedSlot !== null) {
      secondsSpent[focusedSlot] = (secondsSpent[focusedSlot] || 0) + (Date.now() - focusedSince) / 1000;
      focusedSlot = null;
    }
  }
  form.addEventListener("focusin", function (e) { noteFocusEnd(); focusedSlot = slotOf(e.target); focusedSince = Date.now(); });
  form.addEventListener("focusout", noteFocusEnd);

  // --- saving ----------------------------------------------------------------------------------
  function queue(slot) {
    clearTimeout(typingTimers[slot]);
    delete typingTimers[slot];
    pending[slot] = valueOf(slot);
    storePending();
    send(slot);
  }
  function send(slot) {
    if (!(slot in pending) || inFlight.has(slot)) return Promise.resolve();
    const value = pending[slot];
    inFlight.add(slot);
    setStatus("Saving…");
    const body = { slot: Number(slot), value: value };
    if (secondsSpent[slot]) body.seconds_spent = Math.round(secondsSpent[slot]);
    return fetch(form.dataset.saveUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (data) { return { response: response, data: data }; });
    }).then(function (r) {
      inFlight.delete(slot);
      if (JSON.stringify(pending[slot]) === JSON.stringify(value)) { delete pending[slot]; storePending(); }
      if (r.response.ok) {
        // A save of what the field shows settles it; the clear sent after a refusal (below) does not.
        if (JSON.stringify(valueOf(slot)) === JSON.stringify(value)) showError(slot, "");
        syncRemaining(r.data.remaining_seconds);
        setStatus(settledStatus());
      } else if (r.response.status === 409 || r.response.status === 404) {
        setStatus(errorMessage(r.data) || "This attempt is closed.");
        location.href = form.dataset.resultsUrl;
      } else {
        showError(slot, errorMessage(r.data) || "This answer could not be saved.");
        // The server kept the answer saved before this one. The taker has replaced it with text that
        // is not an answer, so clear it: the finish dialog's "will not count" must be true.
        if (!isBlank(value) && !(slot in pending)) { pending[slot] = null; storePending(); }
        setStatus(settledStatus());
      }
      if (slot in pending) return send(slot);  // changed again while this save was in flight
    }).catch(function () {
      inFlight.delete(slot);
      setStatus("Offline — your answers are kept and will be saved when the connection is back");
      setTimeout(function () { send(slot); }, RETRY_MS);
    });
  }
  function flush() { return Promise.all(Object.keys(pending).map(send)); }

  form.addEventListener("change", function (e) {
    const slot = slotOf(e.target);
    if (slot !== null) queue(slot);
  });
  form.addEventListener("input", function (e) {
    const slot = slotOf(e.target);
    if (slot === null || e.target.type === "radio" || e.target.type === "checkbox") return;
    clearTimeout(typingTimers[slot]);
    const problem = numberProblem(slot);
    if (problem) showError(slot, problem); else if (invalid[slot]) showError(slot, "");
    setStatus(problem ? settledStatus() : "Unsaved changes…");
    typingTimers[slot] = setTimeout(function () { queue(slot); }, TYPING_DEBOUNCE_MS);
  });
  window.addEventListener("online", flush);

  // Enter in a one-line answer would submit the form, i.e. finish the whole quiz by accident.
  // Treat it as "next question": focus the next slot's first field (or the Finish button).
  form.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.target.tagName !== "INPUT" || e.target.type !== "text") return;
    e.preventDefault();
    const slot = slotOf(e.target);
    if (slot !== null) queue(slot);
    const li = e.target.closest(".quiz-slot");
    const next = li && li.nextElementSibling;
    const target = next ? next.querySelector("input, textarea") : document.getElementById("quiz-finish");
    if (target) target.focus();
  });

  // Restore answers a reload interrupted before the server had them, then send them.
  Object.keys(pending).forEach(function (slot) {
    const li = form.querySelector('.quiz-slot[data-slot="' + slot + '"]');
    if (!li) { delete pending[slot]; return; }
    const value = pending[slot], name = "slot-" + slot;
    if (li.dataset.input === "one" || li.dataset.input === "many") {
      const chosen = [].concat(value === null ? [] : value).map(String);
      li.querySelectorAll('input[name="' + name + '"]').forEach(function (i) { i.checked = chosen.indexOf(i.value) >= 0; });
    } else {
      li.querySelector('[name="' + name + '"]').value = value;
    }
  });
  flush();

  // --- finishing -------------------------------------------------------------------------------
  function finish() {
    if (finishing) return;
    finishing = true;
    setStatus("Time is up — submitting what you saved…");
    flush().finally(function () {
      fetch(form.dataset.finishUrl, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf } })
        .finally(function () { localStorage.removeItem(storageKey); location.href = form.dataset.resultsUrl; });
    });
  }
  // Each slot is answered, blank, or invalid (text that is not an answer: neither counted nor saved).
  function tally() {
    const counts = { answered: 0, blank: 0, invalid: 0 };
    form.querySelectorAll(".quiz-slot").forEach(function (li) {
      const slot = li.dataset.slot;
      if (invalid[slot]) counts.invalid += 1;
      else if (isBlank(valueOf(slot))) counts.blank += 1;
      else counts.answered += 1;
    });
    return counts;
  }
  // "3 of 10 answered · 1 needs a fix" in the sticky bar: how far along you are, without scrolling back up.
  const answeredEl = document.getElementById("quiz-answered");
  function showAnswered() {
    if (!answeredEl) return;
    const counts = tally(), total = counts.answered + counts.blank + counts.invalid;
    answeredEl.textContent = counts.answered + " of " + total + " answered" +
      (counts.invalid ? " · " + counts.invalid + (counts.invalid === 1 ? " needs" : " need") + " a fix" : "");
    answeredEl.hidden = false;
  }
  // "Start over" closes this attempt for good; one stray click must not cost the answers given.
  const restart = document.querySelector(".quiz-restart");
  if (restart) restart.addEventListener("submit", function (e) {
    if (!window.confirm("Start over? This attempt is closed as abandoned and graded on what you saved.")) e.preventDefault();
  });
  form.addEventListener("change", showAnswered);
  form.addEventListener("input", showAnswered);
  showAnswered();
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    const counts = tally();
    // Finishing is final; with time left, a blank or refused answer is more likely a slip than a choice.
    const problems = [];
    if (counts.blank) problems.push(counts.blank + (counts.blank === 1 ? " question is" : " questions are") + " still unanswered");
    if (counts.invalid) problems.push(counts.invalid + (counts.invalid === 1 ? " answer is" : " answers are") +
                                      " not valid and will not count");
    if (problems.length && !finishing && !window.confirm(problems.join("; ") + ". Finish and see results anyway?")) return;
    Object.keys(typingTimers).forEach(function (slot) {
      clearTimeout(typingTimers[slot]); delete typingTimers[slot]; pending[slot] = valueOf(slot);
    });
    document.getElementById("quiz-finish").disabled = true;
    flush().finally(function () { localStorage.removeItem(storageKey); form.submit(); });
  });
})();
