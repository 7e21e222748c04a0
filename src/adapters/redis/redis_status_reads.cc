#include "adapters/redis/redis_status_reads.h"

#include "adapters/redis/redis_idempotency_store.h"
#include "adapters/redis/redis_status_views.h"

namespace wanderluxe {
namespace {

// MGET's reply for (view key, accepted key) as what is known of the booking.
Result<BookingStatusRead> ToRead(const std::string& view_key, const std::string& booking_id,
                                 const RedisReply& reply) {
  if (reply.type != RedisReply::Type::kArray || reply.elements.size() != 2) {
    return Status::Internal("status read of " + booking_id + ": MGET answered no pair");
  }
  BookingStatusRead read;
  if (const RedisReply& view = reply.elements[0]; !view.is_nil()) {
    auto decoded = RedisStatusViews::Decode(view_key, booking_id, view.text);
    if (!decoded.ok()) return decoded.status();
    read.view = std::move(*decoded);
    return read;  // the view replaces the accepted record
  }
  if (const RedisReply& accepted = reply.elements[1]; !accepted.is_nil()) {
    auto decoded = RedisIdempotencyStore::DecodeAccepted(booking_id, accepted.text);
    if (!decoded.ok()) return decoded.status();
    read.accepted = std::move(*decoded);
  }
  return read;
}

}  // namespace

void RedisStatusReads::ReadAsync(const std::string& booking_id, StatusReadCallback done) {
  const RedisConfig& config = async_.config();
  std::string view_key = RedisStatusViews::Key(config, booking_id);
  std::vector<std::string> argv = {"MGET", view_key,
                                   RedisIdempotencyStore::AcceptedKey(config, booking_id)};
  async_.Command(std::move(argv),
                 [view_key, booking_id, done = std::move(done)](Result<RedisReply> reply) {
                   if (!reply.ok()) return done(reply.status());
                   done(ToRead(view_key, booking_id, *reply));
                 });
}

}  // namespace wanderluxe
