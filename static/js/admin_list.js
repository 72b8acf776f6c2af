/* List editor for the question admin: a textarea of one item per line becomes one input per row with
   add / remove / up / down buttons. Each row posts under the textarea's name, which the server
   (questions/admin_forms.ListWidget) reads as the list; without this script the textarea posts lines. */
(function () {
  "use strict";

  function button(label, title, action) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "list-editor-button";
    b.textContent = label;
    b.title = title;
    b.setAttribute("aria-label", title);
    b.dataset.action = action;
    return b;
  }

  function makeRow(editor, name, value) {
    var label = editor.dataset.label || "Item";
    var row = document.createElement("li");
    row.className = "list-editor-row";
    var input = document.createElement("input");
    input.type = "text";
    input.name = name;
    input.value = value;
    input.className = "vTextField list-editor-input";
    input.setAttribute("aria-label", label);  // rows have no <label> of their own
    row.appendChild(input);
    row.appendChild(button("↑", "Move up", "up"));
    row.appendChild(button("↓", "Move down", "down"));
    row.appendChild(button("✕", "Remove", "remove"));
    editor.appendChild(row);
    return input;
  }

  function enhance(textarea) {
    var name = textarea.name;
    var list = document.createElement("ol");
    list.className = "list-editor";
    list.dataset.listFor = name;
    var fieldLabel = textarea.id && document.querySelector('label[for="' + textarea.id + '"]');
    list.dataset.label = fieldLabel ? fieldLabel.textContent.replace(/:\s*$/, "") + " item" : "Item";
    textarea.value.split("\n").forEach(function (line) {
      if (line.trim()) { makeRow(list, name, line.trim()); }
    });
    // The accessible name starts with the visible words (WCAG 2.5.3) and says which list it adds to.
    var add = button("+ Add item", "Add item to " + (fieldLabel ? fieldLabel.textContent.replace(/:\s*$/, "") : "the list"), "add");
    add.className += " list-editor-add";
    add.dataset.listAdd = name;
    textarea.parentNode.insertBefore(list, textarea);
    textarea.parentNode.insertBefore(add, textarea);
    // Posting nothing for an empty list would leave the field out; an empty hidden value keeps it "[]".
    var empty = document.createElement("input");
    empty.type = "hidden";
    empty.name = name;
    empty.value = "";
    textarea.parentNode.insertBefore(empty, textarea);
    textarea.parentNode.removeChild(textarea);

    add.addEventListener("click", function () { makeRow(list, name, "").focus(); });
    list.addEventListener("click", function (event) {
      var target = event.target;
      if (!target.dataset || !target.dataset.action) { return; }
      var row = target.closest("li");
      if (target.dataset.action === "remove") { row.parentNode.removeChild(row); }
      if (target.dataset.action === "up" && row.previousElementSibling) { list.insertBefore(row, row.previousElementSibling); }
      if (target.dataset.action === "down" && row.nextElementSibling) { list.insertBefore(row.nextElementSibling, row); }
    });
    list.addEventListener("keydown", function (event) {
      // Enter in a row adds the next row rather than submitting the whole form.
      if (event.key === "Enter" && event.target.classList.contains("list-editor-input")) {
        event.preventDefault();
        var row = event.target.closest("li");
        var input = makeRow(list, name, "");
        list.insertBefore(input.parentNode, row.nextSibling);
        input.focus();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-list-editor]"), enhance);
  });
})();
