/* Dialogs for keyboards and screen readers: focus moves inside, Tab stays inside, Escape
   closes, and focus goes back to the control that opened it. Action menus close on Escape. */
(function () {
  "use strict";
  var FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
  var opener = null;

  function openDialog() {
    var dialogs = document.querySelectorAll('[role="dialog"]');
    return dialogs.length ? dialogs[dialogs.length - 1] : null;
  }

  function focusables(dialog) {
    return Array.prototype.filter.call(dialog.querySelectorAll(FOCUSABLE), function (el) {
      return el.offsetParent !== null || el === document.activeElement;
    });
  }

  function focusInside(dialog) {
    if (dialog.contains(document.activeElement)) return;
    var first = dialog.querySelector("input:not([type=hidden]), select, textarea") || focusables(dialog)[0];
    (first || dialog).focus();
  }

  function closeDialog(dialog) {
    var backdrop = dialog.closest(".modal-backdrop") || dialog;
    backdrop.remove();
    if (opener && document.body.contains(opener)) opener.focus();
    opener = null;
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && !elt.closest('[role="dialog"]')) opener = elt.closest("details") ? elt.closest("details").querySelector("summary") : elt;
  });

  document.addEventListener("htmx:afterSettle", function () {
    var dialog = openDialog();
    if (dialog) {
      dialog.setAttribute("tabindex", "-1");
      focusInside(dialog);
    }
  });

  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-select-all]")) return;
    document.querySelectorAll('input[name="ids"]').forEach(function (box) { box.checked = event.target.checked; });
  });

  // A form that acts on many rows asks first (data-confirm): the rows are those of the moment
  // the person confirms.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-confirm]") && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) closeDialog(closer.closest('[role="dialog"]'));
  });

  document.addEventListener("keydown", function (event) {
    var dialog = openDialog();
    if (event.key === "Escape") {
      if (dialog) { event.preventDefault(); closeDialog(dialog); return; }
      var menu = document.activeElement && document.activeElement.closest("details[open]");
      if (menu) { menu.open = false; menu.querySelector("summary").focus(); }
      return;
    }
    if (event.key !== "Tab" || !dialog) return;
    var items = focusables(dialog);
    if (!items.length) { event.preventDefault(); dialog.focus(); return; }
    var first = items[0], last = items[items.length - 1];
    if (!dialog.contains(document.activeElement)) { event.preventDefault(); first.focus(); }
    else if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
  });
})();
