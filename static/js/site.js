/* Small progressive enhancements for the bank pages; every page works without this file. */
(function () {
  "use strict";

  var SELF_TEST_KEY = "prep.selfTest";

  function selfTestEnabled() {
    try {
      return window.localStorage.getItem(SELF_TEST_KEY) !== "off"; // on unless the reader turned it off
    } catch (e) {
      return true; // storage blocked (private mode): default behaviour
    }
  }

  function rememberSelfTest(enabled) {
    try {
      window.localStorage.setItem(SELF_TEST_KEY, enabled ? "on" : "off");
    } catch (e) { /* not remembered; still applies to this page */ }
  }

  // Self-test: the answer stays hidden behind a real <button> (keyboard and screen-reader friendly)
  // until the reader has tried to answer. Whatever else would give it away (the demos' readings and
  // charts) carries data-reveals-answer and is hidden and shown with it.
  function setupSelfTest() {
    var bar = document.querySelector("[data-self-test]");
    var panel = document.getElementById("answer-panel");
    if (!bar || !panel) return;
    var button = bar.querySelector("[data-reveal]");
    var toggle = bar.querySelector("[data-self-test-toggle]");
    var extras = document.querySelectorAll("[data-reveals-answer]");
    var note = bar.querySelector("[data-hidden-note]");

    function show(visible, moveFocus) {
      panel.hidden = !visible;
      extras.forEach(function (el) { el.hidden = !visible; });
      if (note) note.hidden = visible;
      button.setAttribute("aria-expanded", visible ? "true" : "false");
      button.textContent = visible ? "Hide answer" : "Reveal answer";
      if (visible && moveFocus) {
        panel.setAttribute("tabindex", "-1");
        panel.focus({ preventScroll: false });
      }
    }

    bar.hidden = false;
    toggle.checked = selfTestEnabled();
    show(!toggle.checked, false);

    button.addEventListener("click", function () {
      show(panel.hidden, true);
    });
    toggle.addEventListener("change", function () {
      rememberSelfTest(toggle.checked);
      show(!toggle.checked, false);
    });
  }

  // <select data-autosubmit> filters submit on change; a <noscript> button covers no-JS readers.
  function setupAutosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.form) select.form.submit();
      });
    });
  }

  // "/" focuses the header search box, as on many documentation sites (ignored while typing).
  function setupSearchShortcut() {
    var box = document.getElementById("site-search");
    if (!box) return;
    document.addEventListener("keydown", function (event) {
      var tag = (event.target && event.target.tagName) || "";
      if (event.key === "/" && !event.ctrlKey && !event.metaKey && !/INPUT|TEXTAREA|SELECT/.test(tag) && !event.target.isContentEditable) {
        event.preventDefault();
        box.focus();
      }
    });
  }

  // The site's one format for absolute times, "2026-12-04 23:05 CET", in the visitor's own time zone.
  // {% local_time %} (questions/templatetags/time_tags.py) writes the same format in UTC.
  function formatLocalTime(date) {
    var parts = {};
    new Intl.DateTimeFormat("en-GB", {
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
      hourCycle: "h23", timeZoneName: "short"
    }).formatToParts(date).forEach(function (part) { parts[part.type] = part.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute +
      " " + parts.timeZoneName;
  }

  // Absolute times ({% local_time %}) are rewritten; relative ones ("3 minutes ago") keep their
  // words and get the exact local time as a tooltip.
  function localizeTimes(root) {
    (root || document).querySelectorAll("time[datetime]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date.getTime())) return;
      if (el.hasAttribute("data-local-time")) el.textContent = formatLocalTime(date);
      else el.title = formatLocalTime(date);
    });
  }
  // For content swapped in later (a demo's fresh result): sandbox.js calls it on what it inserts.
  window.prepLocalizeTimes = localizeTimes;

  function init() {
    localizeTimes(document);
    setupSelfTest();
    setupAutosubmit();
    setupSearchShortcut();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
