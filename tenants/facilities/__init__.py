"""Facilities: hospitals' emergency capacity and the city's CCTV cameras."""
