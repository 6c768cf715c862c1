// The case's process drawn with the bpmn-js viewer (app/static/vendor): completed steps and the current
// one(s) marked. The same steps are listed in words above the timeline, so the page works without it.
(function () {
  "use strict";
  var box = document.getElementById("processdiagram");
  if (!box || !window.BpmnJS) { return; }
  var canvasBox = box.querySelector(".diagram-canvas");
  fetch(box.getAttribute("data-src"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
    .then(function (data) {
      var viewer = new window.BpmnJS({ container: canvasBox });
      return viewer.importXML(data.bpmn).then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        canvas.zoom("fit-viewport");
        // Every kind of element done (events, gateways, service tasks, timers), not only the user tasks.
        var done = data.completed_elements || data.completed;
        var current = data.current_elements || data.active;
        done.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "diagram-done"); } });
        current.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, "diagram-current"); } });
        box.setAttribute("data-rendered", "true");
      });
    })
    .catch(function () {
      canvasBox.textContent = "Diagrammet kunde inte visas. Var ärendet står finns i listan ovanför händelserna.";
    });
}());
