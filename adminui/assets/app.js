// The admin page works without this script: every link and form does its
// job on its own. The script only makes it pleasant: dialogs open in place
// as modal <dialog>s, keys are copied to the clipboard, and the
// add-permission form shows only the fields the chosen type and action
// allow. It is loaded from the page's own origin (the Content-Security-
// Policy allows no inline script) and uses no eval.
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  // openDialog shows a dialog as a modal: focus moves into it, Escape
  // closes it and the rest of the page is inert until then.
  function openDialog(dialog) {
    if (dialog.open) {
      dialog.close();
    }
    dialog.showModal();
    var focus = dialog.querySelector("[aria-invalid=true]") || dialog.querySelector("[autofocus]") ||
      dialog.querySelector("input:not([type=hidden]):not([disabled]), select, textarea, button");
    if (focus) {
      focus.focus();
    }
  }

  // A link with data-dialog opens that dialog instead of loading the page
  // that shows it open. The edit-limiter link also says which permission.
  function onDialogLink(event) {
    var link = event.currentTarget;
    var dialog = document.getElementById(link.dataset.dialog);
    if (!dialog) {
      return;
    }
    event.preventDefault();
    var form = dialog.querySelector("form[method=post]");
    if (link.dataset.action && form) {
      // One dialog serves every row: the link says which.
      form.action = link.dataset.action;
      clearErrors(dialog);
    }
    if (link.dataset.limiter !== undefined) {
      dialog.querySelector("textarea").value = link.dataset.limiter;
    }
    dialog.querySelectorAll("[data-fill-value]").forEach(function (el) {
      var v = link.dataset[el.dataset.fillValue];
      if (v !== undefined) {
        el.value = v;
      }
    });
    dialog.querySelectorAll("[data-fill]").forEach(function (el) {
      var v = link.dataset[el.dataset.fill];
      if (v !== undefined) {
        el.textContent = el.dataset.fill === "hint" ? v + " Leave empty to remove the limiter." : v;
      }
    });
    if (event.detail > 0) {
      openDialog(dialog);
      return;
    }
    // From the keyboard a link opens on keydown of Enter: open the dialog
    // only once that key is up, or its keypress would land in the dialog's
    // first field and submit the form.
    var opened = false;
    function open() {
      if (!opened) {
        opened = true;
        document.removeEventListener("keyup", open, true);
        openDialog(dialog);
      }
    }
    document.addEventListener("keyup", open, true);
    setTimeout(open, 500);
  }

  function clearErrors(root) {
    root.querySelectorAll(".field-error, .form-error").forEach(function (el) {
      el.remove();
    });
    root.querySelectorAll("[aria-invalid]").forEach(function (el) {
      el.removeAttribute("aria-invalid");
    });
  }

  // Copy to the clipboard, with a fallback for browsers that only allow
  // the older selection-based copy.
  function copyText(text, button) {
    var status = button.closest(".field, td") && button.closest(".field, td").querySelector("[data-copy-status]");
    // A copy button in a table reports through the page's live region.
    status = status || document.getElementById("live-status");
    function done(ok) {
      var msg = ok ? "Copied to the clipboard." : "Copy failed: select the text and copy it by hand.";
      if (status) {
        status.textContent = msg;
      }
      button.dataset.copied = ok ? "true" : "false";
      button.title = ok ? "Copied" : button.getAttribute("aria-label");
    }
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(legacyCopy(text)); });
    } else {
      done(legacyCopy(text));
    }
  }

  function legacyCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    area.remove();
    return ok;
  }

  // The add-permission form, narrowed to the chosen type and action from
  // the catalog the server put in data-catalog.
  function setUpPermissionForm(form) {
    var types = JSON.parse(form.dataset.catalog);
    var typeSelect = form.querySelector("[name=resourceType]");
    var actionSelect = form.querySelector("[name=action]");
    var keyField = form.querySelector("[data-key-field]");
    var limiterField = form.querySelector("[data-limiter-field]");

    // Without JavaScript the limiter field is only rendered for types
    // that take one; with it, the field exists always and shows on demand.
    if (!limiterField) {
      limiterField = document.createElement("div");
      limiterField.className = "field";
      limiterField.dataset.limiterField = "";
      limiterField.innerHTML = '<label for="perm-limiter">Limiter</label>' +
        '<textarea id="perm-limiter" name="limiter" rows="3" class="mono" spellcheck="false" aria-describedby="perm-limiter-hint"></textarea>' +
        '<p class="hint" id="perm-limiter-hint"></p>';
      actionSelect.closest(".field").after(limiterField);
    }
    var limiterInput = limiterField.querySelector("textarea");
    var limiterHint = limiterField.querySelector(".hint");

    function currentType() {
      return types.find(function (t) { return t.id === typeSelect.value; }) || types[0];
    }

    function renderKeyField(t) {
      var old = keyField.querySelector("#perm-key");
      var value = old ? old.value : "";
      var el;
      if (t.openKeys) {
        el = document.createElement("input");
        el.type = "text";
        el.required = true;
        el.maxLength = 100;
        el.autocomplete = "off";
        el.value = old && old.tagName === "INPUT" ? value : "";
      } else {
        el = document.createElement("select");
        t.keys.forEach(function (k) {
          var o = document.createElement("option");
          o.value = k;
          o.textContent = k;
          el.appendChild(o);
        });
        if (t.keys.indexOf(value) >= 0) {
          el.value = value;
        }
      }
      el.id = "perm-key";
      el.name = "resourceKey";
      el.setAttribute("aria-describedby", "perm-key-hint");
      old.replaceWith(el);
      keyField.querySelector("#perm-key-hint").textContent = t.keyHint;
    }

    function renderActions(t) {
      var value = actionSelect.value;
      actionSelect.textContent = "";
      t.actions.forEach(function (a) {
        var o = document.createElement("option");
        o.value = a.id;
        o.textContent = a.label;
        actionSelect.appendChild(o);
      });
      if (t.actions.some(function (a) { return a.id === value; })) {
        actionSelect.value = value;
      }
    }

    function renderLimiter(event) {
      var t = currentType();
      var a = t.actions.find(function (x) { return x.id === actionSelect.value; });
      var takes = !!(a && a.limiterKeys && a.limiterKeys.length);
      // A limiter the server refused stays visible with its error until
      // the person changes the action.
      var refused = !event && limiterInput.getAttribute("aria-invalid") === "true";
      limiterField.hidden = !takes && !refused;
      // A hidden limiter must not be sent: the action would refuse it.
      limiterInput.disabled = limiterField.hidden;
      if (takes) {
        limiterHint.textContent = a.limiterHint + " Leave empty for none.";
      }
    }

    typeSelect.addEventListener("change", function () {
      var t = currentType();
      clearErrors(form);
      renderKeyField(t);
      renderActions(t);
      renderLimiter(true);
    });
    actionSelect.addEventListener("change", renderLimiter);
    renderLimiter();
  }

  function setUpExpiryToggle(toggle) {
    var field = document.getElementById(toggle.dataset.toggles);
    var input = field.querySelector("input");
    function sync() {
      field.hidden = !toggle.checked;
      input.disabled = !toggle.checked;
      input.required = toggle.checked;
    }
    toggle.addEventListener("change", function () {
      sync();
      if (toggle.checked) {
        input.focus();
      }
    });
    sync();
  }

  // The create-key form's expiry choice shows the date field only for "On
  // a date" and the warning only for "Never". A hidden date is disabled,
  // so it is not sent (the server lets a sent date win over the choice).
  function setUpExpiryChoice(select) {
    var form = select.form;
    function sync() {
      form.querySelectorAll("[data-expiry-shows]").forEach(function (el) {
        el.hidden = el.dataset.expiryShows !== select.value;
        el.querySelectorAll("input").forEach(function (input) {
          input.disabled = el.hidden;
          input.required = !el.hidden;
        });
      });
    }
    select.addEventListener("change", function () {
      sync();
      var date = form.querySelector("[data-expiry-shows=date] input");
      if (select.value === "date" && date) {
        date.focus();
      }
    });
    sync();
  }

  function init() {
    // Buttons that only serve the page without script: removed rather than
    // hidden, so that Enter in a form never picks one as its default.
    document.querySelectorAll(".no-js-only").forEach(function (el) {
      el.remove();
    });
    document.querySelectorAll("a[data-dialog]").forEach(function (link) {
      link.addEventListener("click", onDialogLink);
    });
    document.querySelectorAll("[data-copy], [data-copy-from]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var text = button.dataset.copy;
        if (button.dataset.copyFrom) {
          text = document.getElementById(button.dataset.copyFrom).value;
        }
        copyText(text, button);
      });
    });
    document.querySelectorAll("form[data-catalog]").forEach(setUpPermissionForm);
    document.querySelectorAll("[data-toggles]").forEach(setUpExpiryToggle);
    document.querySelectorAll("select[data-expiry-choice]").forEach(setUpExpiryChoice);

    // The page showing a new key answered a POST; give it the account's
    // address so that a reload fetches the page instead of posting again.
    var replace = document.querySelector("[data-replace-url]");
    if (replace) {
      history.replaceState(null, "", replace.dataset.replaceUrl);
      // Once closed, the key leaves the page too.
      // (The close that turns the server's open dialog into a modal is
      // followed by showModal, so the dialog is open again by then.)
      replace.addEventListener("close", function () {
        if (!replace.open) {
          replace.remove();
        }
      });
    } else if (location.search.indexOf("dialog=") >= 0) {
      // A dialog opened by its link keeps no trace in the address.
      history.replaceState(null, "", location.pathname);
    }

    // A dialog the server rendered open (a ?dialog= link, errors to show,
    // a new key) becomes modal.
    document.querySelectorAll("dialog[open]").forEach(openDialog);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
