# The chat server, as the classic Ratchet demo ran it:
#   docker build -t chat_image .
#   docker run -d -p 8080:8080 --name chat chat_image
# then open http://localhost:8080/. History lives in the /data volume.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release -p capstan-chat

FROM debian:bookworm-slim
COPY --from=build /src/target/release/capstan-chat /usr/local/bin/capstan-chat
WORKDIR /data
VOLUME /data
ENV CHAT_DB=/data/capstan-chat.db
EXPOSE 8080
CMD ["capstan-chat"]
