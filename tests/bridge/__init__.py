"""Tests for the bridge package."""
