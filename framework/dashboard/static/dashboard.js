// The dashboard's only script: live refresh of a running run, and auto-submitting selects.
(function () {
  "use strict";
  var run = document.getElementById("run");
  if (run && run.dataset.poll) {
    var url = run.dataset.poll, seen = run.dataset.signature;
    var timer = setInterval(function () {
      fetch(url, { headers: { "Accept": "application/json" }, cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          if (data.signature !== seen) { window.location.reload(); }
          if (data.status !== "running") { clearInterval(timer); }
        })
        .catch(function () { /* the server may be restarting: try again next tick */ });
    }, 2000);
  }
  var selects = document.querySelectorAll("select.autosubmit");
  for (var i = 0; i < selects.length; i++) {
    selects[i].addEventListener("change", function (event) { event.target.form.submit(); });
  }
})();
