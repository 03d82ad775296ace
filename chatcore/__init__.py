"""chatcore"""
