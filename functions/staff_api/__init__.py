"""staff_api"""
