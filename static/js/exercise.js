/*
 * An exercise page: the editor, hints one at a time, Check and Submit through the JSON API,
 * the run's live output with an elapsed-time counter, and the verdict the server rendered.
 *
 * Needs sandbox.js (its request helper) loaded before it. Without scripts the page still works: the textarea is the editor, every hint can be
 * opened, and the form posts Check or Submit to the server, which redirects back with the result.
 */
(function () {
  "use strict";

  var FINAL = { succeeded: true, failed: true, timed_out: true, cancelled: true };

  // sandbox.js's request helper (loaded first): JSON in and out, CSRF header, errors flattened to
  // {error: message, field}.
  function request(method, url, body) {
    return window.PrepRuns.request(method, url, body);
  }

  /* Hints: the first is offered; opening one offers the next. */
  function setUpHints(box) {
    var hints = box.querySelectorAll("details.hint");
    hints.forEach(function (hint, index) {
      if (index > 0) hint.hidden = true;
      hint.addEventListener("toggle", function () {
        if (hint.open && hints[index + 1]) hints[index + 1].hidden = false;
      });
    });
  }

  function setUpExercise(form) {
    var textarea = form.querySelector("textarea[name=code]");
    var live = form.querySelector("[data-live]");
    var stateText = form.querySelector("[data-state]");
    var elapsedText = form.querySelector("[data-elapsed]");
    var output = form.querySelector("[data-output]");
    var error = form.querySelector("[data-error]");
    var buttons = form.querySelectorAll("button[data-mode]");
    var reset = form.querySelector("[data-reset]");
    var page = form.closest(".exercise");
    var result = page.querySelector("[data-result]");
    var after = page.querySelector("[data-after]");
    var history = page.querySelector("[data-history]");
    var mark = page.querySelector("[data-exercise-mark]");
    var busy = false;
    var pollTimer = null;
    var tickTimer = null;
    var editor = null;

    function code() {
      return editor ? editor.getValue() : textarea.value;
    }

    function setBusy(value, mode) {
      busy = value;
      buttons.forEach(function (button) {
        button.disabled = value;
        button.textContent = value && button.dataset.mode === mode ? (mode === "check" ? "Checking…" : "Submitting…") : button.dataset.mode === "check" ? "Check" : "Submit";
      });
    }

    function showError(message) {
      error.textContent = message;
      error.hidden = false;
    }

    /* Elapsed time: anchored on the server's figure at each poll, ticking locally in between. */
    var anchor = null;
    function startTicking() {
      window.clearInterval(tickTimer);
      tickTimer = window.setInterval(function () {
        if (anchor) elapsedText.textContent = (anchor.seconds + (Date.now() - anchor.at) / 1000).toFixed(1) + " s";
      }, 100);
    }

    function show(run) {
      var label = run.state.replace("_", " ");
      if (run.verdict) label = "graded: " + (run.passed ? "passed" : "not passed");
      else if (!FINAL[run.state] && run.message && run.message !== run.state) label += " · " + run.message;
      stateText.textContent = label;
      if (run.elapsed_s !== null && run.elapsed_s !== undefined) {
        anchor = FINAL[run.state] ? null : { seconds: run.elapsed_s, at: Date.now() };
        elapsedText.textContent = run.elapsed_s.toFixed(1) + " s";
      }
      if (typeof run.output === "string" && output.textContent !== run.output) {
        output.textContent = run.output;
        output.hidden = !run.output;
        output.scrollTop = output.scrollHeight;
      }
    }

    function finish(run) {
      window.clearTimeout(pollTimer);
      window.clearInterval(tickTimer);
      anchor = null;
      setBusy(false);
      show(run);
      if (run.verdict_html) result.innerHTML = run.verdict_html;
      if (run.after_html) after.innerHTML = run.after_html;
      if (run.history_html) history.innerHTML = run.history_html;
      if (run.mode === "submit" && run.verdict && mark) {
        var solved = run.passed || mark.querySelector(".mark-solved");
        mark.innerHTML = solved
          ? '<span class="exercise-mark mark-solved" title="You passed the hidden tests"><span aria-hidden="true">✓</span> Solved</span>'
          : '<span class="exercise-mark mark-attempted" title="Submitted, not passed yet"><span aria-hidden="true">◐</span> Attempted</span>';
      }
      if (!run.verdict && run.error) showError(run.error);
      output.hidden = true; // the verdict carries the whole output ("What your code printed")
      result.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }

    function poll(url, started) {
      var delay = Date.now() - started < 10000 ? 400 : 1000;
      pollTimer = window.setTimeout(function () {
        request("GET", url)
          .then(function (reply) {
            if (reply.status !== 200) {
              setBusy(false);
              showError(reply.data.error || "Lost track of this submission.");
              return;
            }
            if (FINAL[reply.data.state]) {
              finish(reply.data);
            } else {
              show(reply.data);
              poll(url, started);
            }
          })
          .catch(function () {
            stateText.textContent = "connection lost; retrying…";
            poll(url, started);
          });
      }, delay);
    }

    function start(mode) {
      if (busy) return;
      error.hidden = true;
      setBusy(true, mode);
      live.hidden = false;
      output.textContent = "";
      output.hidden = true;
      stateText.textContent = "sending…";
      elapsedText.textContent = "0.0 s";
      request("POST", form.dataset.apiUrl, { slug: form.dataset.slug, code: code(), mode: mode })
        .then(function (reply) {
          if (reply.status !== 202) {
            setBusy(false);
            live.hidden = true;
            showError(reply.data.error || "The submission could not be sent.");
            return;
          }
          show(reply.data);
          startTicking();
          if (FINAL[reply.data.state]) finish(reply.data);
          else poll(reply.data.status_url, Date.now());
        })
        .catch(function () {
          setBusy(false);
          live.hidden = true;
          showError("Could not reach the server. Check your connection and try again.");
        });
    }

    if (window.PrepEditor) {
      editor = window.PrepEditor.create(textarea, {
        label: textarea.labels && textarea.labels[0] ? textarea.labels[0].textContent : "Code",
        onRun: function () {
          start("check");
        },
      });
      form.querySelectorAll(".js-only").forEach(function (node) {
        node.hidden = false;
      });
    }
    reset.hidden = false;
    reset.addEventListener("click", function () {
      var starter = textarea.dataset.starter || "";
      if (editor) editor.setValue(starter);
      else textarea.value = starter;
    });
    // Landed here from the form's own post (the no-JavaScript path) while it grades: follow it in place.
    var pending = result.querySelector("[data-follow]");
    if (pending) {
      setBusy(true, pending.dataset.mode);
      live.hidden = false;
      startTicking();
      poll(pending.dataset.follow, Date.now());
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var mode = event.submitter && event.submitter.dataset.mode ? event.submitter.dataset.mode : "check";
      start(mode);
    });
  }

  function init() {
    document.querySelectorAll("[data-hints]").forEach(setUpHints);
    document.querySelectorAll("form.exercise-form").forEach(setUpExercise);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
