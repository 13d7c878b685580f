"""A synthetic three-tenant corpus with known answers, for retrieval quality (bench_retrieval.py).

210 documents: 3 tenants x 10 products x 7 aspects (warranty, price, delivery, returns, care, size, safety).
Each document states one aspect of one product in the aspect's own words. 100 questions, each with exactly
one answer document (the same tenant, product and aspect), alternating two kinds:

* ``keyword``: the question uses the document's words ("What warranty does the Falcon bike have?");
* ``paraphrase``: it says the same with other words ("If my Falcon breaks because of a factory fault, how long
  am I protected?"): only the product's name is shared, so words alone cannot tell the aspects apart.

It is generated from templates, not written by people: it measures what each mode does with vocabulary
overlap and its absence, not a real support corpus.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

TENANTS = {
    "cycles": ("bike", ["Falcon", "Heron", "Osprey", "Kestrel", "Swift", "Merlin", "Condor", "Harrier", "Plover",
                        "Avocet"]),
    "cloudco": ("router", ["Atlas", "Borealis", "Cinder", "Dynamo", "Ember", "Fjord", "Granite", "Helix", "Iris",
                           "Quasar"]),
    "kitchen": ("blender", ["Aurora", "Basil", "Clove", "Dill", "Fennel", "Ginger", "Hazel", "Laurel", "Nutmeg",
                            "Orchid"]),
}

#: aspect: (document, keyword question, paraphrased question); {e} product, {k} kind, {n} a number.
ASPECTS = {
    "warranty": ("The {e} {k} comes with a {n}-year warranty covering manufacturing defects; wear parts are "
                 "excluded from the warranty.",
                 "What warranty does the {e} {k} have?",
                 "If my {e} stops working because of a factory fault, how long am I protected?"),
    "price": ("The {e} {k} costs {n}9 euros including VAT; a student discount of ten percent applies to the price.",
              "What is the price of the {e} {k}?",
              "How much money do I need to buy the {e}?"),
    "delivery": ("Orders of the {e} {k} ship from our Rotterdam warehouse and delivery takes {n} working days.",
                 "How long does delivery of the {e} {k} take?",
                 "When will my {e} reach my home after I order it?"),
    "returns": ("You may return an unused {e} {k} within {n}0 days for a full refund of the purchase price.",
                "Can I return the {e} {k} for a refund?",
                "I changed my mind about the {e}; can I get my money back?"),
    "care": ("To maintain the {e} {k}, wipe it with a damp cloth and have it serviced every {n} months.",
             "How do I maintain the {e} {k} and how often is it serviced?",
             "How should I look after my {e} to keep it in good shape?"),
    "size": ("The {e} {k} weighs {n} kilograms and measures {n}5 centimetres in length.",
             "How much does the {e} {k} weigh?",
             "Is the {e} heavy to carry around?"),
    "safety": ("The {e} {k} is certified to safety standard EN {n}4 and must not be used by children under twelve.",
               "Is the {e} {k} safety certified?",
               "Can my young kid use the {e} without risk?"),
}


@dataclass(frozen=True)
class Doc:
    tenant: str
    doc_id: str
    text: str


@dataclass(frozen=True)
class Question:
    tenant: str
    text: str
    answer: str
    kind: str


def corpus(seed: int = 14) -> tuple[list[Doc], list[Question]]:
    rng = random.Random(seed)
    docs: list[Doc] = []
    pairs: list[tuple[str, str, str, str]] = []
    for tenant, (kind, products) in TENANTS.items():
        for product in products:
            for aspect, (doc, keyword, paraphrase) in ASPECTS.items():
                doc_id = f"{product.lower()}-{aspect}"
                docs.append(Doc(tenant, doc_id, doc.format(e=product, k=kind, n=rng.randint(2, 9))))
                pairs.append((tenant, doc_id, keyword.format(e=product, k=kind), paraphrase.format(e=product)))
    rng.shuffle(pairs)
    questions = [Question(tenant, keyword if i % 2 == 0 else paraphrase, doc_id,
                          "keyword" if i % 2 == 0 else "paraphrase")
                 for i, (tenant, doc_id, keyword, paraphrase) in enumerate(pairs[:100])]
    return docs, questions
