import ssh2 from 'ssh2';

/**
 * An ed25519 key pair in OpenSSH format. ssh2's generator drops a leading zero byte of the
 * public key (about one key in a hundred), which OpenSSH then cannot load ("error in
 * libcrypto"); such keys are thrown away and generated again.
 */
export function generateEd25519(comment = ''): { private: string; public: string } {
  for (;;) {
    const key = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    const blob = Buffer.from(key.public.split(' ')[1] ?? '', 'base64');
    const typeLen = blob.readUInt32BE(0);
    const keyLen = blob.readUInt32BE(4 + typeLen);
    if (keyLen === 32) return key;
  }
}
