/* Django admin markup that axe reports, fixed after the admin's own scripts have run.

   SelectFilter2.js (filter_horizontal) labels its magnifier icon with aria-label on a bare <span>,
   which ARIA does not allow (a span has no role to name); role="img" makes the label valid. It
   builds the widget in a "load" handler, so this runs after every load handler has. */
(function () {
  "use strict";
  window.addEventListener("load", function () {
    window.setTimeout(function () {
      document.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach(function (icon) {
        icon.setAttribute("role", "img");
      });
    }, 0);
  });
})();
