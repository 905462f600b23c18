/* Steward's only script of its own: where the keyboard focus goes after a page or a part of it
   changes, so keyboard and screen-reader users are not left at the top of the page or on an
   element that no longer exists. Every page works without it: the server also marks the
   element with `autofocus`, which browsers honour on a full page load. */
(function () {
  "use strict";

  function focusElement(element) {
    if (!element) return;
    if (!element.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(element.tagName)) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus();
  }

  // A refused form: the error summary, rendered with `autofocus`.
  function focusMarked(root) {
    if (!root || !root.querySelector) return false;
    var marked = root.matches && root.matches("[autofocus]") ? root : root.querySelector("[autofocus]");
    if (!marked) return false;
    focusElement(marked);
    return true;
  }

  // A flag acknowledged in place: on to the next flag below still waiting, else the list's heading.
  function focusAfterAcknowledging(row) {
    row.removeAttribute("data-just-acknowledged");
    var next = row.nextElementSibling;
    while (next && !next.hasAttribute("data-waiting")) next = next.nextElementSibling;
    if (next) {
      focusElement(next);
      return;
    }
    var table = row.closest("[data-heading]");
    focusElement(table && document.getElementById(table.getAttribute("data-heading")));
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.activeElement || document.activeElement === document.body) focusMarked(document);
  });

  // htmx leaves 4xx answers out by default; a 400 from these pages is a fragment showing what
  // was refused, which belongs on the page.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // A folded form of the case page, loaded as its details opened: into its first field, so the
  // keyboard user who opened it is where they can type, and it is announced by its label.
  function focusLoadedForm(body) {
    body.removeAttribute("data-folded-loaded");
    focusElement(body.querySelector("input:not([type=hidden]), select, textarea, button"));
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    var loaded = document.querySelector("[data-folded-loaded]");
    if (loaded) {
      focusLoadedForm(loaded);
      return;
    }
    var acknowledged = document.querySelector("[data-just-acknowledged]");
    if (acknowledged) {
      focusAfterAcknowledging(acknowledged);
      return;
    }
    focusMarked(event.detail.elt);
  });
})();
