/* The exercise authoring form (admin): each code field ([data-code-editor]) becomes the site's
   CodeMirror editor (static/vendor/codemirror, window.PrepEditor), which keeps the textarea's value
   in sync for the post. Disabled fields stay plain textareas; so does everything without JavaScript. */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.PrepEditor) { return; }
    document.querySelectorAll("textarea[data-code-editor]").forEach(function (textarea) {
      if (textarea.disabled) { return; }
      var label = textarea.labels && textarea.labels[0] ? textarea.labels[0].textContent.replace(/:$/, "") : "Code";
      window.PrepEditor.create(textarea, { label: label });
    });
  });
})();
