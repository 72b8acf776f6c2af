/* Live Markdown preview for admin textareas marked data-markdown-preview.
   The HTML comes from the staff-only preview endpoint, which runs the site's own sanitising renderer,
   so the preview matches the published page and is safe to insert. */
(function () {
  "use strict";

  function csrfToken(textarea) {
    var field = textarea.form && textarea.form.querySelector("input[name=csrfmiddlewaretoken]");
    if (field) return field.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function attach(textarea) {
    var preview = document.createElement("div");
    preview.className = "markdown-preview prose";
    // A live region with a name needs a role that may be named (a bare div may not, which axe reports
    // once the preview is empty, as on a new exercise); "status" is polite, and not a landmark.
    preview.setAttribute("role", "status");
    preview.setAttribute("aria-live", "polite");
    preview.setAttribute("aria-label", "Preview");
    var status = document.createElement("p");
    status.className = "markdown-preview-status";
    textarea.insertAdjacentElement("afterend", preview);
    preview.insertAdjacentElement("beforebegin", status);

    var timer = null;
    var latest = 0;

    function refresh() {
      var request = ++latest;
      var body = new URLSearchParams();
      body.set("text", textarea.value);
      status.textContent = "Rendering preview…";
      fetch(textarea.dataset.previewUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(textarea), "Content-Type": "application/x-www-form-urlencoded" },
        body: body.toString()
      })
        .then(function (response) { return response.json().then(function (data) { return [response.ok, data]; }); })
        .then(function (result) {
          if (request !== latest) return; // a newer keystroke already asked for a fresher preview
          if (!result[0]) {
            var error = result[1].error || {};
            status.textContent = "Preview failed: " + (error.field ? error.field + " " : "") + (error.message || "unknown error");
            return;
          }
          preview.innerHTML = result[1].html;
          status.textContent = "Preview";
        })
        .catch(function () { if (request === latest) status.textContent = "Preview unavailable (offline?)"; });
    }

    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
    refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-markdown-preview]").forEach(attach);
  });
})();
