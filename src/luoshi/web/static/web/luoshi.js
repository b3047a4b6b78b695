/* Luoshi's small script: progressive enhancements only, every page works without it.
   Loaded from our own origin (no inline script, no inline handlers), so a strict CSP can forbid both. */
(function () {
  "use strict";

  // Lets the stylesheet fold the menu on phones only when this script can unfold it again.
  document.documentElement.classList.add("js");

  function setUpMenu() {
    var toggle = document.querySelector(".menu-toggle");
    var menu = document.getElementById("site-menu");
    if (!toggle || !menu) return;
    toggle.addEventListener("click", function () {
      var open = menu.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.classList.contains("open")) {
        menu.classList.remove("open");
        toggle.setAttribute("aria-expanded", "false");
        toggle.focus();
      }
    });
  }

  // Adds a row to a Django formset from its <template>, renumbering __prefix__ and the form count.
  function setUpFormsets(root) {
    root.querySelectorAll("[data-formset-add]").forEach(function (button) {
      var fieldset = button.closest("fieldset");
      var rows = fieldset && fieldset.querySelector("[data-formset-rows]");
      var template = fieldset && fieldset.querySelector("template[data-formset-template]");
      var total = fieldset && fieldset.querySelector("input[name$='-TOTAL_FORMS']");
      if (!rows || !template || !total) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        var index = parseInt(total.value, 10) || 0;
        var html = template.innerHTML.replace(/__prefix__/g, String(index));
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();
        var row = holder.firstElementChild;
        rows.appendChild(row);
        total.value = String(index + 1);
        var first = row.querySelector("select, input, textarea");
        if (first) first.focus();
      });
    });
  }

  // Error summaries take focus, so keyboard and screen-reader users land on what went wrong.
  function focusErrors() {
    var summary = document.getElementById("form-errors");
    if (summary) summary.focus();
  }

  // If the session ended, an htmx request is answered with the sign-in page: go there properly
  // instead of drawing it inside a list.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (xhr && xhr.responseURL && xhr.responseURL.indexOf("/login/") !== -1) {
      event.detail.shouldSwap = false;
      window.location.href = xhr.responseURL;
    }
  });

  // A form sent with htmx comes back re-drawn with its errors (422) or a conflict (409): show it, as the
  // same form sent without htmx would be shown.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail && event.detail.xhr && event.detail.xhr.status;
    if (status === 422 || status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Over a rate limit (429) htmx would silently draw nothing: show the server's explanation (the first
  // paragraph of its page, which says how long to wait) where the page shows its messages.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (!xhr || xhr.status !== 429) return;
    event.detail.shouldSwap = false;
    var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var explanation = page.querySelector(".error-page p");
    var main = document.getElementById("main");
    if (!explanation || !main) return;
    var messages = main.querySelector(".messages");
    if (!messages) {
      messages = document.createElement("div");
      messages.className = "messages";
      main.insertBefore(messages, main.firstChild);
    }
    var notice = document.createElement("p");
    notice.className = "notice notice-error";
    notice.setAttribute("role", "alert");
    notice.textContent = explanation.textContent;
    messages.replaceChildren(notice);
  });

  // After such a swap, keyboard and screen-reader users land on what the server said: the errors, or
  // the confirmation (regions that want this carry data-focus-after-swap).
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("[data-focus-after-swap]").forEach(function (region) {
      var target = region.querySelector("#form-errors, [role=status][tabindex]");
      if (target) target.focus();
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    setUpMenu();
    setUpFormsets(document);
    focusErrors();
  });
})();
