// The booking form's total, kept up to date as the visitor chooses a ticket, a room and extras.
// Without this script the form's "Update total" button shows the same total (the server renders
// it with the same partial); with it, each change asks the form's quote endpoint for the
// summary and puts it in the form's polite live region. Only the choices (and the discount and
// gift voucher codes) are sent: never the names or answers typed in the form.
(function () {
  "use strict";

  var form = document.querySelector("form[data-quote-url]");
  var region = document.getElementById("price-summary");
  if (!form || !region || !window.fetch || !window.FormData) {
    return;
  }
  // The fields that change the total; a typed code counts once the visitor leaves its field.
  var PRICED = ["ticket_type", "room_type", "add_ons", "discount_code", "gift_voucher_code"];
  var SENT = ["csrf_token"].concat(PRICED);
  var asked = 0;

  // With live totals the button is not needed; removed rather than hidden, so pressing Enter
  // in a field still sends the form to payment as on any other form.
  var button = form.querySelector('button[name="update_total"]');
  if (button) {
    button.parentNode.removeChild(button);
  }

  function choices() {
    var all = new FormData(form);
    var sent = new FormData();
    SENT.forEach(function (name) {
      all.getAll(name).forEach(function (value) {
        sent.append(name, value);
      });
    });
    return sent;
  }

  function show(html) {
    var parsed = new DOMParser().parseFromString(html, "text/html");
    var summary = parsed.querySelector("[data-price-summary]");
    if (summary) {
      region.replaceChildren(document.importNode(summary, true));
    }
  }

  function refresh() {
    var mine = ++asked;
    fetch(form.getAttribute("data-quote-url"), {
      method: "POST",
      body: choices(),
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        if (mine === asked) {
          show(html); // a refused choice (4xx) comes with its reason, shown the same way
        }
      })
      .catch(function () {
        // Offline or a failed request: the total shown stays, and the server checks the
        // booking itself when it is sent.
      });
  }

  form.addEventListener("change", function (event) {
    if (PRICED.indexOf(event.target.name) !== -1) {
      refresh();
    }
  });
})();
