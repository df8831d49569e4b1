untrusted comment: verify with key.pub
RWQiPkKjm3+rRZa+PK0fJnyWsKLeQcTnaheMS5dwM7p5HoZid9Sn+B49v/6+/Qu+iRUG6mCknL4o4XW8X51Bu3Ghwk2QI5E94w4=
