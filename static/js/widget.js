// The booking widget as a script tag: put
//   <script src="https://…/static/js/widget.js" data-widget="https://…/o/<slug>/widget" async></script>
// where the widget should appear; it adds the widget's frame right after itself. Only a widget
// on the same site as this script is framed.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.widget) {
    return;
  }
  var widget = new URL(script.dataset.widget, script.src);
  if (widget.origin !== new URL(script.src).origin) {
    return;
  }
  var frame = document.createElement("iframe");
  frame.src = widget.href;
  frame.title = script.dataset.title || "Upcoming retreats";
  frame.width = "100%";
  frame.height = script.dataset.height || "520";
  frame.loading = "lazy";
  frame.style.border = "0";
  script.parentNode.insertBefore(frame, script.nextSibling);
})();
