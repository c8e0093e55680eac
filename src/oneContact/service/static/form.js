/* oneContact contact form: asks the server for the questions that matter now whenever an
   answer changes, and swaps the question section in place. The form works without this
   script (its "update" and "send" buttons); this only saves a page load. No framework. */
(function () {
  "use strict";
  var form = document.getElementById("contact-form");
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
  if (!form || !window.fetch || !window.FormData || !window.URLSearchParams) { return; }
  var url = form.getAttribute("data-questions");
  var announcer = document.getElementById("announcer");
  var latest = 0;

  function announce(text) {
    if (!announcer || !text) { return; }
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 100);
  }

  function refresh() {
    var body = new URLSearchParams(new FormData(form));
    body.set("action", "update");
    var mine = ++latest;
    form.setAttribute("aria-busy", "true");
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "text/html" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("status " + response.status); }
      return response.text();
    }).then(function (html) {
      if (mine !== latest) { return; }  /* a newer change is on its way */
      var old = document.getElementById("questions");
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var fresh = holder.querySelector("#questions");
      if (!old || !fresh) { return; }
      var focused = document.activeElement;
      var inside = focused && old.contains(focused);
      var focusId = inside ? focused.id : null;
      old.parentNode.replaceChild(fresh, old);
      if (inside) {
        var again = focusId ? document.getElementById(focusId) : null;
        (again || document.getElementById("questions-heading")).focus();
      }
      var changed = fresh.querySelector("[data-announce]");
      var urgent = fresh.querySelector("#emergency-now");
      announce((urgent ? urgent.textContent.trim() + " " : "") +
               (changed ? changed.getAttribute("data-announce") : ""));
    }).catch(function () {
      /* the buttons still work: nothing to do */
    }).then(function () {
      if (mine === latest) { form.removeAttribute("aria-busy"); }
    });
  }

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.name && target.name !== "contact_id") { refresh(); }
  });
})();
