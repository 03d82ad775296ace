"""Tests for the chatcore package."""
