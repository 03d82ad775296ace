"""Tests for the outbound package."""
