/* Tasharuk's maps: draw the points, lines and area outlines embedded in #map-data.
   Tiles only when configured (TASHARUK_TILES_URL), so the map works on an intranet. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  var src = document.getElementById("map-data");
  if (!el || !src || typeof L === "undefined") { return; }
  var data = JSON.parse(src.textContent || "{}");
  var map = L.map(el, { attributionControl: !!data.tiles });
  if (data.tiles) { L.tileLayer(data.tiles, { maxZoom: 18 }).addTo(map); }
  var layers = [];
  (data.areas || []).forEach(function (f) {
    layers.push(L.geoJSON(f, { style: { color: "#0b6e4f", weight: 1, fillOpacity: 0.08 } }).addTo(map));
  });
  (data.lines || []).forEach(function (l) {
    layers.push(L.polyline(l, { color: "#b54708", weight: 2, opacity: 0.7 }).addTo(map));
  });
  (data.points || []).forEach(function (p) {
    var m = L.circleMarker([p.lat, p.lon], { radius: 7, color: "#0b6e4f", fillOpacity: 0.8 }).addTo(map);
    var a = document.createElement("a");
    a.textContent = (p.n ? p.n + ". " : "") + (p.name || "");
    if (p.url) { a.href = p.url; }
    m.bindPopup(a);
    layers.push(m);
  });
  var group = L.featureGroup(layers);
  if (layers.length) { map.fitBounds(group.getBounds().pad(0.2), { maxZoom: 13 }); }
  else { map.fitBounds([[32.3, 35.7], [37.3, 42.4]]); }
  var lat = document.getElementById("lat"), lon = document.getElementById("lon");
  if (lat && lon) {
    map.on("click", function (e) {
      lat.value = e.latlng.lat.toFixed(5); lon.value = e.latlng.lng.toFixed(5);
    });
  }
  var sites = document.getElementById("sites");
  if (sites) {
    map.on("click", function (e) {
      var line = e.latlng.lat.toFixed(5) + ", " + e.latlng.lng.toFixed(5);
      sites.value = (sites.value.trim() ? sites.value.trim() + "\n" : "") + line;
    });
  }
}());
