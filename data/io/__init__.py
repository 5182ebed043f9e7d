"""Data exchange: 3W/4W imports (CSV, XLSX, HXL), HSDS 3.0, HXL and GeoJSON exports."""
