/* Tasharuk partnership network: organisations at their head office, a line per partnership,
   from the JSON in #network-data. Tiles only when configured (TASHARUK_TILES_URL). */
(function () {
  "use strict";
  var el = document.getElementById("network-map");
  var src = document.getElementById("network-data");
  if (!el || !src || typeof L === "undefined") { return; }
  var data = JSON.parse(src.textContent || "{}");
  var map = L.map(el, { attributionControl: !!data.tiles }).setView([35.0, 38.5], 7);
  if (data.tiles) { L.tileLayer(data.tiles, { maxZoom: 18 }).addTo(map); }
  var at = {};
  (data.nodes || []).forEach(function (n) {
    at[n.id] = [n.lat, n.lon];
    L.circleMarker(at[n.id], { radius: 6, color: "#0b6e4f" }).addTo(map)
      .bindTooltip(data.locale === "en" ? n.name_en : n.name_ar);
  });
  var lines = (data.edges || []).map(function (e) { return [at[e.a], at[e.b]]; });
  if (lines.length) {
    var layer = L.polyline(lines, { color: "#b54708", weight: 2, opacity: 0.7 }).addTo(map);
    map.fitBounds(layer.getBounds().pad(0.2));
  }
}());
