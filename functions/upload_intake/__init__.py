"""upload_intake"""
