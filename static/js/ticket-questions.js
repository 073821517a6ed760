// The booking form's questions asked with some tickets only (data-ticket-types: the ids of the
// tickets they are asked with), shown as the visitor chooses a ticket. Without this script the
// form's "Show the questions for this ticket" button sends the form back with the questions of
// the ticket chosen (the server leaves the others out the same way); with it, the button is not
// needed. A field left out is not read when the form is sent, whatever it holds.
(function () {
  "use strict";

  var form = document.querySelector("form.booking-form");
  if (!form) {
    return;
  }
  var limited = Array.prototype.slice.call(form.querySelectorAll("[data-ticket-types]"));
  var groups = Array.prototype.slice.call(form.querySelectorAll(".booking-questions"));
  if (!limited.length) {
    return;
  }
  var button = form.querySelector('button[name="show_questions"]');
  if (button) {
    var holder = button.parentNode; // its paragraph
    holder.parentNode.removeChild(holder);
  }

  function show() {
    var chosen = form.querySelector('input[name="ticket_type"]:checked');
    limited.forEach(function (element) {
      var tickets = element.getAttribute("data-ticket-types").split(" ");
      element.hidden = chosen !== null && tickets.indexOf(chosen.value) === -1;
    });
    groups.forEach(function (group) {
      var fields = group.querySelectorAll(".asked");
      var hidden = group.querySelectorAll(".asked[hidden]");
      group.hidden = fields.length > 0 && fields.length === hidden.length;
    });
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "ticket_type") {
      show();
    }
  });
  show();
})();
