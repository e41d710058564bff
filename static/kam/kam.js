/* KAM's page behaviour, on top of htmx. After an htmx swap (a visit saved, a complaint updated) the
   user's attention goes to what changed: the first invalid field, or the result message, which is
   also read out once through the page's one persistent live region (#kam-live). */
(function () {
  "use strict";

  function announce(text) {
    var region = document.getElementById("kam-live");
    if (!region || !text) return;
    // Emptied first, so the same words said twice are announced twice.
    region.textContent = "";
    window.clearTimeout(region.kamClear);
    window.setTimeout(function () { region.textContent = text; }, 60);
    // Emptied again once said, so the page's text is not found twice (the message stays on screen).
    region.kamClear = window.setTimeout(function () { region.textContent = ""; }, 1500);
  }

  function settle(root) {
    if (!root) return;
    var invalid = root.querySelector("[aria-invalid=true], .kam-error");
    if (invalid) {
      if (invalid.classList.contains("kam-error")) invalid.setAttribute("tabindex", "-1");
      invalid.focus();
      var errors = root.querySelectorAll(".kam-field-error, .kam-error");
      announce(Array.prototype.map.call(errors, function (e) { return e.textContent.trim(); }).join(" "));
      return;
    }
    var message = root.querySelector(".kam-messages");
    if (message && message.querySelector(".kam-message")) {
      message.focus({ preventScroll: true });
      message.scrollIntoView({ block: "start" });
      announce(message.textContent.trim());
    }
  }

  // A table wider than the screen scrolls in its box: the box takes keyboard focus (arrow keys
  // scroll it) and is named after the heading above it.
  function scrollableBoxes(root) {
    (root || document).querySelectorAll(".overflow-auto").forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1 && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label")) {
          var table = box.querySelector("table");
          var caption = table && table.getAttribute("aria-label");
          var heading = caption || (box.closest("section, details, article") || document).querySelector("h2, h3, summary, header strong");
          box.setAttribute("aria-label", typeof heading === "string" ? heading : (heading ? heading.textContent.trim() : document.title));
        }
      }
    });
  }
  window.addEventListener("load", function () { scrollableBoxes(document); });
  window.addEventListener("resize", function () { scrollableBoxes(document); });
  document.addEventListener("toggle", function (event) { scrollableBoxes(event.target); }, true);

  document.addEventListener("htmx:afterSettle", function (event) {
    scrollableBoxes(document);
    // An outerHTML swap replaces the target: find its successor by id.
    var target = event.detail.target;
    var root = target && target.id ? document.getElementById(target.id) : target;
    settle(root || document.body);
  });

  // An htmx request may announce its result without a message element (a search's count).
  document.addEventListener("kam:announce", function (event) { announce(event.detail && event.detail.text); });
  window.kamAnnounce = announce;

  document.addEventListener("DOMContentLoaded", function () {
    // Browsers skip autofocus when the address has a #fragment (/accounts/7/interactions/new/#activity):
    // the form opened from a link is still meant to be ready to type.
    // Chrome drops a focus given before its (blocked) autofocus processing, so focus once loaded.
    window.addEventListener("load", function () {
      var autofocus = document.querySelector("main [autofocus]");
      if (autofocus && document.activeElement !== autofocus) autofocus.focus();
    });
    // A full page after a redirect (no JavaScript swap): read out its result once.
    var message = document.querySelector(".kam-messages .kam-message");
    if (message) announce(message.closest(".kam-messages").textContent.trim());
    // Close the header menu with Escape, and give focus back to its button.
    document.querySelectorAll("details.kam-menu").forEach(function (menu) {
      menu.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && menu.open) {
          menu.open = false;
          menu.querySelector("summary").focus();
        }
      });
    });
    document.addEventListener("click", function (event) {
      document.querySelectorAll("details.kam-menu[open]").forEach(function (menu) {
        if (!menu.contains(event.target)) menu.open = false;
      });
    });
  });
})();
