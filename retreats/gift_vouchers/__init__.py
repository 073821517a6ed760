"""Gift vouchers: bought for someone, delivered on a chosen day, spent on bookings."""
