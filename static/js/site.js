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

  // The nearest heading before ``node`` in reading order: what a scrolling table belongs to.
  function headingBefore(node) {
    for (; node && node !== document.body; node = node.parentElement) {
      for (var sib = node.previousElementSibling; sib; sib = sib.previousElementSibling) {
        if (/^H[1-6]$/.test(sib.tagName)) return sib.textContent.trim();
        var inner = sib.querySelectorAll("h1, h2, h3, h4, h5, h6");
        if (inner.length) return inner[inner.length - 1].textContent.trim();
      }
    }
    return "";
  }

  // Wide tables scroll sideways inside their own box, never the page. When a box does scroll it
  // says so: a visible hint under it, shadows at the hidden edges (site.css), and a named, focusable
  // region so the arrow keys scroll it. A box that fits gets none of that (no useless tab stop).
  var scrollerNames = {}; // region names must differ on one page: "Runs", "Runs (2)"
  function setupScrollers(root) {
    (root || document).querySelectorAll(".prose table").forEach(function (table) {
      if (table.parentElement.classList.contains("table-scroll")) return;
      var box = document.createElement("div");
      box.className = "table-scroll";
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    });
    (root || document).querySelectorAll(".table-scroll").forEach(function (box) {
      if (box.dataset.scrollReady) return;
      box.dataset.scrollReady = "1";
      var caption = box.querySelector("caption");
      var name = (caption && caption.textContent.trim()) || headingBefore(box) || "Table";
      scrollerNames[name] = (scrollerNames[name] || 0) + 1;
      if (scrollerNames[name] > 1) name += " (" + scrollerNames[name] + ")";
      var hint = document.createElement("p");
      hint.className = "scroll-hint";
      hint.setAttribute("aria-hidden", "true"); // the region's name says the same to screen readers
      hint.textContent = "Scroll sideways to see the whole table →";
      hint.hidden = true;
      box.after(hint);
      function update() {
        var scrolls = box.scrollWidth > box.clientWidth + 1;
        box.classList.toggle("is-scrollable", scrolls);
        hint.hidden = !scrolls;
        if (scrolls) {
          box.setAttribute("tabindex", "0");
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", name + ", table, scrolls sideways");
        } else {
          ["tabindex", "role", "aria-label"].forEach(function (attr) { box.removeAttribute(attr); });
        }
      }
      update();
      if (window.ResizeObserver) new ResizeObserver(update).observe(box);
    });
  }
  // A demo result swapped in by sandbox.js brings its own table.
  window.prepSetupScrollers = setupScrollers;

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
    // The header's box, or the page's own where the page has one instead (home, search).
    var box = document.getElementById("site-search") || document.querySelector('[role="search"] input[type="search"]');
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
    setupScrollers();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
