"""Tools that fetch raw data into files the readers then read."""
