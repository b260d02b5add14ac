"""The use cases' input: one frozen command Struct per operation.

A command holds typed values only. Whoever builds one (the HTTP edge from a JSON body, the
embedding API from Python arguments, a test) hands it to its use case as is; the use case
applies the contract's rules to the values and reports broken ones as field errors, in the
order of checks of spec 10 §1.2. What an edge could not read at all (a body that is not an
object, a value of the wrong JSON type) travels beside the command as :class:`InputProblems`,
so the use case reports it at its place in that order too.
"""

from reseller_core.commands.accounts import ConfirmEmail, Login, Register, UpdateMe
from reseller_core.commands.problems import NO_PROBLEMS, InputProblems
from reseller_core.commands.products import (
    CreateProduct,
    FinalizeUploads,
    GetProduct,
    PrepareUploads,
    Reprocess,
)
from reseller_core.domain.products import SellerFields
from reseller_core.domain.uploads import FinalizeItem, UploadIntent

__all__ = [
    "NO_PROBLEMS",
    "ConfirmEmail",
    "CreateProduct",
    "FinalizeItem",
    "FinalizeUploads",
    "GetProduct",
    "InputProblems",
    "Login",
    "PrepareUploads",
    "Register",
    "Reprocess",
    "SellerFields",
    "UpdateMe",
    "UploadIntent",
]
