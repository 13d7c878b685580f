"""Injection signals beyond the English-first patterns of :mod:`engine.guardrails.injection`.

* **Overrides in the languages tenants write**: the demo's (German, French,
  Spanish, Italian, Dutch, Portuguese, Japanese), the ten most spoken
  (English, Mandarin, Hindi, Spanish, French, Arabic, Bengali, Portuguese,
  Russian, Urdu) and Polish: a verb that discards ("ignore", "forget",
  "無視", "забудь", ...) within 40 characters of what it discards
  ("instructions", "rules", "指示", "правила", ...), in either order (word
  order differs: "指示を無視して"). A verb in the past or passive tells
  what happened ("ich habe die Anweisungen vergessen", "ho dimenticato le
  istruzioni", "说明书我忘记了") and is no override.
* **Role-play and "no limits"** in those languages ("pretend", "fais
  semblant", "притворись", "假装"; "without restrictions", "без
  ограничений", "制限なし"): each weak alone, an attack together.
* **Fake system messages**: a bracketed or starred header that speaks as
  the system, an administrator or the developer ("[SYSTEM NOTE TO AI]",
  "【AIへのシステム通知】", "*** SYSTEM UPDATE FOR THE ASSISTANT ***"),
  and text that addresses the AI reading it ("Note to the AI", "If you are
  an AI model", "Примечание для ИИ").
* **Instructions hidden in markup**: HTML comments and elements styled to
  be invisible (``display:none``, ``font-size:0``, ``visibility:hidden``)
  that address an AI or hold an override.

The patterns run on the folded text (lower case, look-alikes mapped, see
:func:`engine.guardrails.text.fold`). Each family's stems are compiled into
one pattern, so a text costs a handful of regex passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from engine.guardrails import compiled
from engine.guardrails.text import fold

# Verbs that discard what was said before, per language (stems: the patterns match word starts).
_DISCARD = {
    "de": "ignorier|vergiss|vergesst|vergessen|missacht|übergeh|beachte nicht|hör auf",
    "fr": "ignore|ignorez|oublie|oubliez|ne tiens pas compte|ne tenez pas compte|fais abstraction|faites abstraction",
    "es": "ignora|ignore|ignoren|olvida|olvide|olviden|haz caso omiso|omite|no sigas|no obedezcas|descarta",
    "it": "ignora|dimentica|dimenticate|trascura|non seguire|non rispettare",
    "nl": "negeer|vergeet|volg niet|houd je niet aan",
    "pt": "ignore|ignora|esqueça|esqueca|esquece|desconsidere|desconsidera|não siga|nao siga",
    "pl": "zignoruj|ignoruj|zapomnij|pomiń|pomin|nie przestrzegaj|nie stosuj się|odrzuć",
    "ru": "игнорируй|проигнорируй|забудь|отбрось|отмени|не обращай внимания|не следуй|не соблюдай",
    "ja": "無視|忘れ|従わない|破棄",
    "zh": "忽略|无视|無視|忽視|忘记|忘掉|忘記|不要遵守|不要遵循|放弃",
    "hi": "अनदेखा|नज़रअंदाज़|नजरअंदाज|भूल जाओ|भूल जाइए|अवहेलना",
    "ar": "تجاهل|تجاهلي|انس|انسَ|انسى|لا تتبع|تخطى|تخط",
    "bn": "উপেক্ষা|ভুলে যাও|অগ্রাহ্য",
    "ur": "نظر انداز|نظرانداز|بھول جاؤ|بھول جائیں",
}
# What is discarded: instructions, rules, the prompt.
_INSTRUCTIONS = {
    "de": "anweisung|regel|vorgabe|richtlinie|instruktion|einschränkung|systemprompt|prompt|befehl",
    "fr": "instruction|consigne|règle|regle|directive|restriction|prompt",
    "es": "instrucci|regla|norma|directiva|restricci|indicaci|prompt",
    "it": "istruzion|regol|diretti|restrizion|prompt",
    "nl": "instructie|regel|richtlijn|beperking|prompt",
    "pt": "instruç|instruc|regra|diretriz|restriç|restric|prompt",
    "pl": "instrukcj|zasad|regu|polece|ograniczeń|ograniczen|prompt",
    "ru": "инструкци|правил|указани|ограничени|промпт|директив",
    "ja": "指示|ルール|規則|制限|プロンプト|命令",
    "zh": "指令|指示|规则|規則|提示|限制|命令",
    "hi": "निर्देश|नियम|प्रतिबंध|प्रॉम्प्ट",
    "ar": "تعليمات|التعليمات|قواعد|القواعد|قيود|الأوامر|أوامر|موجه",
    "bn": "নির্দেশ|নিয়ম|বাধা|প্রম্পট",
    "ur": "ہدایات|اصول|پابندی|پرامپٹ",
}
_ROLE_PLAY = (
    "pretend|act as|role-play|roleplay|tu so, als|tu so als|fais semblant|faites semblant|finge|finja|fingir|"
    "fai finta|doe alsof|udawaj|притворись|представь, что ты|представь что ты|ふりをして|ふりをし|假装|扮演|"
    "नाटक करो|तरह व्यवहार करो|تظاهر|ভান করো|ظاہر کرو"
)
_NO_LIMITS = (
    "without any restrictions|without restrictions|without limits|with no rules|no rules|ohne einschränkungen|"
    "ohne regeln|ohne grenzen|sans aucune restriction|sans restriction|sans limites|sans règles|sin restricciones|"
    "sin reglas|sin límites|senza limiti|senza regole|senza restrizioni|zonder beperkingen|zonder regels|"
    "sem restrições|sem restricoes|sem regras|sem limites|bez ograniczeń|bez ograniczen|bez żadnych zasad|"
    "bez zasad|без ограничений|без правил|制限なし|制限のない|ルールのない|制約なし|不受任何限制|没有任何规则|没有规则|"
    "无限制|बिना किसी प्रतिबंध|बिना नियमों|دون أي قيود|بلا قواعد|بدون قيود|বাধা ছাড়াই|নিয়মহীন|بغیر کسی پابندی|بغیر اصولوں"
)
# Words that name the system, an administrator or the developer, and words that name the AI.
_SYSTEM = (
    r"system|admin|administrator|developer|operator|systemhinweis|système|systeme|sistema|systeem|systemowa|"
    r"systemowy|систем|システム|系统|系統|सिस्टम|النظام|সিস্টেম|سسٹم"
)
_AI = (
    r"(?<![a-z])(?:ai|a\.i\.|llm|gpt|ki|ia|ии)(?![a-z])|assistant|assistent|asistente|assistente|asystent|"
    r"language model|chatbot|アシスタント|助手|सहायक|المساعد|الذكاء الاصطناعي"
)
_MESSAGE = (
    r"note|message|update|notice|instruction|override|hinweis|nachricht|mitteilung|anweisung|notiz|nota|mensaje|"
    r"messaggio|bericht|mensagem|notatka|wiadomość|komunikat|сообщение|примечание|указание|通知|メッセージ|指示|"
    r"消息|通知|नोट|संदेश|ملاحظة|رسالة|নোট|نوٹ"
)


def _phrases(table: dict[str, str] | str) -> list[str]:
    """Every phrase of a table or "|"-separated string, folded, longest first."""
    lines = table.values() if isinstance(table, dict) else [table]
    return sorted({fold(phrase) for line in lines for phrase in line.split("|")}, key=len, reverse=True)


def _stems(table: dict[str, str]) -> str:
    """One alternation of every language's phrases, longest first."""
    return "|".join(re.escape(phrase) for phrase in _phrases(table))


class _Literals:
    """Whether a text holds one of some phrases: one Hyperscan pass, or ``str.find`` per phrase without it.

    Python's regex engine tries every branch of a long alternation at every position; the patterns
    below run only on texts that hold one of their phrases.
    """

    def __init__(self, phrases: list[str]):
        self._phrases = phrases
        self._database = compiled.Database([re.escape(p).encode() for p in phrases])
        self._all = compiled.Database([re.escape(p).encode() for p in phrases], single=False)

    def any(self, folded: str) -> bool:
        if compiled.enabled():
            return bool(self._database.matching(folded.encode("utf-8", "surrogatepass")))
        return any(phrase in folded for phrase in self._phrases)

    def ends(self, folded: str) -> list[int] | None:
        """Where the phrases end in an ASCII text (sorted); None where that is not known cheaply."""
        if not compiled.enabled() or not folded.isascii():
            return None
        return sorted(end for _, end in self._all.ends(folded.encode("ascii")))


_WINDOW = 40
_OVERRIDE = re.compile(
    rf"(?:{_stems(_DISCARD)})[^.!?\n。！？।۔]{{0,{_WINDOW}}}?(?:{_stems(_INSTRUCTIONS)})"
    rf"|(?:{_stems(_INSTRUCTIONS)})[^.!?\n。！？।۔]{{0,{_WINDOW}}}?(?:{_stems(_DISCARD)})"
)
_ROLE = re.compile(fold(_ROLE_PLAY))
_LIMITLESS = re.compile(fold(_NO_LIMITS))
# A header in brackets, 【】, or between ***/### that speaks as the system, an administrator or the developer
# ("[SYSTEM NOTE TO AI]"), or as instructions to the AI ("[assistant instructions]").
_HEADER = re.compile(r"(?:\[|【|\*{2,}|#{2,}|\()([^\]】\n*#)]{2,80})(?:\]|】|\*{2,}|#{2,}|\)|:)")
_OPENER = re.compile(r"[\[【(]|\*\*|##")
_SYSTEM_WORD = re.compile(fold(_SYSTEM))
_AI_WORD = re.compile(fold(_AI))
_MESSAGE_WORD = re.compile(fold(_MESSAGE))
# Text that addresses the AI that reads it.
_ADDRESS = re.compile(fold(
    r"(?:note|message|hint|instructions?) (?:to|for) (?:the )?(?:ai|assistant|model|agent)|if you are an? (?:ai|"
    r"language model|llm|assistant)|ai (?:agents?|models?|assistants?) (?:processing|reading|summari[sz]ing)|"
    r"(?:text|note) for (?:the )?ai|hinweis für (?:die )?ki|note pour l'(?:ia|assistant)|nota para el asistente|"
    r"nota per l'assistente|примечание для ии|asystencie ai|aiアシスタントへ|给ai助手|ai के लिए|للذكاء الاصطناعي"
))
# Text a human reader does not see: HTML comments, elements styled invisible, code comments, Markdown comments.
_HIDDEN = re.compile(
    r"<!--(.*?)-->|<(\w+)[^>]*style\s*=\s*[\"'][^\"']*(?:display\s*:\s*none|font-size\s*:\s*0|visibility\s*:\s*hidden)"
    r"[^>]*>(.*?)</\2\s*>|/\*(.*?)\*/|\[//\]:\s*#\s*\((.*?)\)",
    re.DOTALL,
)
_HIDDEN_MARKS = ("<!--", "style", "/*", "[//]")
_ADDRESSES_AI = _AI_WORD
_DISCARDING = _Literals(_phrases(_DISCARD))
_NAMING = _Literals(_phrases(_INSTRUCTIONS))
_LIMITLESS_WORDS = _Literals(_phrases(_NO_LIMITS))
_ADDRESS_WORDS = _Literals(_phrases("to the ai|for the ai|to ai|for ai|to the assistant|for the assistant|to the model|"
                                    "for the model|to the agent|for the agent|you are an ai|you are a language model|"
                                    "you are an llm|you are an assistant|ai agent|ai model|ai assistant|für die ki|"
                                    "für ki|pour l'ia|pour l'assistant|para el asistente|per l'assistente|для ии|"
                                    "asystencie ai|aiアシスタントへ|给ai助手|ai के लिए|للذكاء الاصطناعي"))


# A discarding verb in the past or passive reports what happened ("ich habe die Anweisungen vergessen", "ho
# dimenticato le istruzioni", "说明书我忘记了"): no override. German participles are also imperatives ("Vergessen
# Sie", "Ignoriert alle"), so they count as a report only after an auxiliary and not before "Sie" or "ihr".
_REPORTED = re.compile(
    r"(?<!\w)(?:dimenticat[oai]|ignorat[oai]|trascurat[oai]|olvid[eé]|olvidó|olvidad[oa]s?|ignor[oó]|ignorad[oa]s?|"
    r"esqueci|esqueceu|esquecid[oa]s?|ignorou|ignorad[oa]s?)(?!\w)|忘记了|忘了|忽略了|无视了|忘れました|忘れた|忘れてしまっ|"
    r"無視された|無視されま|無視されて"
)
_GERMAN_PARTICIPLE = re.compile(r"(?<!\w)(?:ignoriert|vergessen|missachtet|übergangen)(?!\w)(?! (?:sie|ihr)\b)")
_AUXILIARY = re.compile(r"(?<!\w)(?:habe|hast|hat|haben|hatte|hatten|wurde|wurden|wird|werden|worden|ist|sind|war)"
                        r"(?!\w)")
_ENDS = ".!?\n。！？।۔"


def _reported(folded: str, match: re.Match[str]) -> bool:
    """Whether the override found tells what happened rather than asks for it (see _REPORTED)."""
    # The stems end the match early ("ignorier"): the word's end is a few characters on.
    end = min(len(folded), match.end() + 8)
    if _REPORTED.search(folded, match.start(), end):
        return True
    if _GERMAN_PARTICIPLE.search(folded, match.start(), end) is None:
        return False
    left = max(folded.rfind(c, 0, match.start()) for c in _ENDS) + 1
    rights = [i for i in (folded.find(c, match.end()) for c in _ENDS) if i != -1]
    return _AUXILIARY.search(folded, left, min(rights, default=len(folded))) is not None


def _first_override(folded: str, start: int = 0, end: int | None = None) -> re.Match[str] | None:
    for match in _OVERRIDE.finditer(folded, start, len(folded) if end is None else end):
        if not _reported(folded, match):
            return match
    return None


def _override(folded: str) -> re.Match[str] | None:
    """The first override: the pattern runs only near places where a discarding verb is close to what it
    discards (found in one compiled pass), or on the whole text where those places are not known."""
    if not (_DISCARDING.any(folded) and _NAMING.any(folded)):
        return None
    verbs, objects = _DISCARDING.ends(folded), _NAMING.ends(folded)
    if verbs is None or objects is None:
        return _first_override(folded)
    reach = _WINDOW + 40  # the window plus the longest phrase
    for verb in verbs:
        if any(abs(verb - thing) <= reach for thing in objects):
            match = _first_override(folded, max(0, verb - reach - 40), verb + reach)
            if match is not None:
                return match
    return None


def signals(folded: str) -> Iterator[tuple[str, float, int, int]]:
    """(family, weight, start, end) of each signal in ``folded`` (offsets in the folded text)."""
    override = _override(folded)
    if override is not None:
        yield "instruction_override", 0.85, override.start(), override.end()
    limitless = _LIMITLESS.search(folded) if _LIMITLESS_WORDS.any(folded) else None
    if limitless is not None:
        yield "no_limits", 0.4, limitless.start(), limitless.end()
        role = _ROLE.search(folded)
        if role is not None:
            yield "role_play", 0.3, role.start(), role.end()
    for opener in _OPENER.finditer(folded):
        header = _HEADER.match(folded, opener.start())
        if header is not None:
            body = header.group(1)
            ai, message = _AI_WORD.search(body), _MESSAGE_WORD.search(body)
            if (ai or message) and (_SYSTEM_WORD.search(body) or (ai and message)):
                yield "delimiter", 0.6, header.start(), header.end()
                break
    address = _ADDRESS.search(folded) if _ADDRESS_WORDS.any(folded) else None
    if address is not None:
        yield "authority", 0.45, address.start(), address.end()


def speaks_to_ai(folded: str, start: int, inner: str) -> bool:
    """Whether the hidden part at ``start`` (inner text ``inner``) holds an override, or, in HTML, a word for the AI.

    Code comments name assistants and models all the time, so there a word for the AI is not enough
    (engine.guardrails.injection also scores every hidden part for any signal).
    """
    markup = folded.startswith("<", start)
    return bool((markup and _ADDRESSES_AI.search(inner)) or (_DISCARDING.any(inner) and _OVERRIDE.search(inner)))


def hidden_parts(folded: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, inner text) of each part of ``folded`` that a human reader does not see."""
    if not any(mark in folded for mark in _HIDDEN_MARKS):
        return
    for hidden in _HIDDEN.finditer(folded):
        inner = next(group for group in (hidden.group(1), hidden.group(3), hidden.group(4), hidden.group(5))
                     if group is not None)
        yield hidden.start(), hidden.end(), inner
