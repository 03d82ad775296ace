"""Tests for the webui package."""
