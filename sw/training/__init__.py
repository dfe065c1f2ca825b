"""(populated by its issue)"""
