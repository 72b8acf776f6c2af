/* The exercise revision page (admin): polls the revision's status while validation runs and shows
   each step ("Validating: reference on seed 1 (1 of 4 checks done)"); reloads once it is decided so
   the page's buttons match. Without JavaScript the page shows the state as of its load. */
(function () {
  "use strict";

  function poll(section) {
    var url = section.dataset.statusUrl;
    var every = (parseFloat(section.dataset.pollSeconds) || 2) * 1000;
    var headline = document.getElementById("revision-headline");
    var bar = document.getElementById("revision-progress");
    function tick() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (status) {
          if (!status) { window.setTimeout(tick, every * 2); return; }
          headline.textContent = status.headline;
          if (bar) { bar.value = status.progress; bar.textContent = status.progress + "%"; }
          if (status.done) { window.location.reload(); } else { window.setTimeout(tick, every); }
        })
        .catch(function () { window.setTimeout(tick, every * 2); });
    }
    window.setTimeout(tick, every);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var section = document.getElementById("revision-status");
    if (section && section.dataset.done !== "true") { poll(section); }
  });
})();
