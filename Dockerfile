# The chat server, as the classic Ratchet demo ran it:
#   docker build -t chat_image .
#   docker run -d -p 8080:8080 --name chat chat_image
# then open http://localhost:8080/. History lives in the /data volume.
#
# The game (TikzTakz, Connect-5), the talk's other demo:
#   docker build --target game -t game_image .
#   docker run -d -p 8080:8080 --name game game_image
# then open http://localhost:8080/. Games and ratings live in the /data volume.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p capstan-chat -p capstan-game

FROM debian:bookworm-slim AS game
COPY --from=build /src/target/release/capstan-game /usr/local/bin/capstan-game
WORKDIR /data
VOLUME /data
ENV GAME_DB=/data/capstan-game.db
EXPOSE 8080
CMD ["capstan-game"]

# The default target (last): the chat.
FROM debian:bookworm-slim AS chat
COPY --from=build /src/target/release/capstan-chat /usr/local/bin/capstan-chat
WORKDIR /data
VOLUME /data
ENV CHAT_DB=/data/capstan-chat.db
EXPOSE 8080
CMD ["capstan-chat"]
