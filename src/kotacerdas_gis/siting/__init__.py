"""Siting: where to put service points, sensors and rebuilt assets."""
