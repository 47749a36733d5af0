"""FollowTheMoney entities stored as statements, assembled per viewer; import and export."""
