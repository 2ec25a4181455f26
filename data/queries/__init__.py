"""The reads behind every figure: SQLAlchemy Core queries that reduce the events in
the database and return small frames (one row per bucket x dimension, never one
per event).

- `events`: the scope's filters and the shared column helpers;
- `event_counts`, `user_pass`, `conversions`: the three passes of a view;
- `sessions`, `breakdowns`: the sessions chart, platforms, runs and links;
- `catalog`, `campaign_summary`, `audience`: campaigns, variants, actions, the
  Campaigns page and the segment downloads.
"""
