"""Отдел кадров: an organisation's HR admin confirms or rejects the employment workers declare."""
