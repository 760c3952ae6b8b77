package dev.loopline.common.net;

import java.io.IOException;

/** Raised inside connect(): the address is not one this client may reach ({@link AddressPolicy}). */
public final class BlockedAddressException extends IOException {
    public BlockedAddressException(String message) {
        super(message);
    }
}
