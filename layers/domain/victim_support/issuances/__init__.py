"""issuances"""
